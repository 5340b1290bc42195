using AkkaRepl.Core.Ids;

namespace AkkaRepl.Storage.Snapshots;

/// <summary>A snapshot file on disk: the LSN its image was taken at, its path and size in bytes (header included).</summary>
public sealed record SnapshotInfo(Lsn Lsn, string Path, long SizeBytes);
