using AkkaRepl.Replication.Primary;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Hosting.Store;

/// <summary>
/// The outcome of a <see cref="KvTransaction"/>. <see cref="Committed"/> is false when a watched key had changed (no
/// command ran). Otherwise <see cref="Replies"/> holds one reply per command, as Redis's EXEC does: a command that
/// failed (e.g. INCRBY on text) has an error reply and the others still applied.
/// </summary>
public sealed record TransactionResult(bool Committed, IReadOnlyList<KvReply> Replies, WriteReceipt Receipt);
