using AkkaRepl.Core.Ids;

namespace AkkaRepl.Replication.Primary;

/// <summary>How far one replica has written, flushed and applied the log, as it last acknowledged.</summary>
public readonly record struct ReplicaPosition(Lsn Write, Lsn Flush, Lsn Apply);
