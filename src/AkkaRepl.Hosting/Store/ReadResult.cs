using AkkaRepl.Core.Ids;

namespace AkkaRepl.Hosting.Store;

/// <summary>
/// A value read, with <see cref="Version"/> (for a key: the end LSN of its last change, to WATCH it in a transaction;
/// for state machine reads: the LSN the state was at) and the node's applied LSN when it was read.
/// </summary>
public sealed record ReadResult<T>(T Value, Lsn Version, Lsn AppliedLsn);
