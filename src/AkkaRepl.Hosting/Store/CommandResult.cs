using AkkaRepl.Replication.Primary;

namespace AkkaRepl.Hosting.Store;

/// <summary>A write's reply from the state machine and its receipt (generation, LSN, durability reached).</summary>
public sealed record CommandResult<T>(T Result, WriteReceipt Receipt);
