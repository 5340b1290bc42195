using AkkaRepl.Core.Ids;

namespace AkkaRepl.Replication.Cluster;

/// <summary>One entry of the generation history: <see cref="Generation"/> began with the record at <see cref="Lsn"/>.</summary>
public readonly record struct GenerationStart(Generation Generation, Lsn Lsn);
