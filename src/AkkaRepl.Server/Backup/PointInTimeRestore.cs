using System.Text.Json;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Io;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Wal;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Server.Backup;

/// <summary>Where to stop a restore: after the record ending at <see cref="Lsn"/>, or after the last record committed
/// at or before <see cref="Time"/>. Exactly one is set.</summary>
internal sealed record RestoreTarget(ulong? Lsn, DateTimeOffset? Time)
{
    public override string ToString() => Lsn is { } l ? $"LSN {l}" : $"{Time:O}";
}

/// <summary>What a restore built.</summary>
internal sealed record RestoreResult(ulong SnapshotLsn, ulong EndLsn, DateTimeOffset? LastCommit, long Records, long FromArchive, int Keys, string ClusterId);

/// <summary>
/// Builds a node's data directory from a backup plus, optionally, a WAL archive, up to a target LSN or time:
/// the backup's snapshot, then its WAL records, then archived records, cut at the target.
/// <para>All or nothing: the backup is verified first, the target is checked against what is available (a target
/// outside it, a gap in the archive, a damaged file are refused, saying exactly what is missing), and the data
/// directory is built in a hidden temporary directory beside the target that is synced and renamed only when
/// complete. The target directory must not exist or be empty.</para>
/// </summary>
internal sealed class PointInTimeRestore(Action<string> progress)
{
    private const int BatchBytes = 8 << 20;

    public async Task<RestoreResult> RunAsync(string backup, string? archive, RestoreTarget target, string dataDir, string clusterId, bool readOnly, CancellationToken ct)
    {
        // Without its trailing separator ("/data/x/" as tab completion gives it), the target would be its own parent: the
        // hidden restoring directory would be made inside it and the final rename would fail.
        var destination = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataDir));
        if (Path.GetDirectoryName(destination) is null) throw new AkkaReplException($"'{destination}' is a root directory; give a directory inside it for the restored node");
        if (File.Exists(destination)) throw new AkkaReplException($"'{destination}' is a file; give a directory for the restored node");
        if (Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any())
            throw new AkkaReplException($"data directory '{destination}' already exists and is not empty: restore into a new directory");
        progress($"Verifying the backup {Path.GetFullPath(backup)}...");
        var manifest = BackupVerifier.Verify(backup);
        var snapshotLsn = new Lsn(manifest.SnapshotLsn);
        CheckTargetNotBeforeSnapshot(manifest, target);

        var parent = Path.GetDirectoryName(destination)!;
        Directories.Create(parent, "for the restored data directory");
        var temp = Path.Combine(parent, $".{Path.GetFileName(destination)}.restoring-{Guid.NewGuid():N}"[..^24]);
        try
        {
            Directory.CreateDirectory(temp);
            var snapshot = manifest.Files.Single(f => f.Path.StartsWith(BackupVerifier.SnapshotDir + "/", StringComparison.Ordinal));
            Directory.CreateDirectory(Path.Combine(temp, "snapshots"));
            File.Copy(Path.Combine(backup, snapshot.Path), Path.Combine(temp, "snapshots", Path.GetFileName(snapshot.Path)));
            using (var copy = new FileStream(Path.Combine(temp, "snapshots", Path.GetFileName(snapshot.Path)), FileMode.Open, FileAccess.ReadWrite))
                copy.Flush(flushToDisk: true);

            var history = manifest.History.Select(h => new GenerationStart(new Generation(h.Generation), new Lsn(h.Lsn))).ToList();
            var before = history.LastOrDefault(h => h.Lsn < snapshotLsn).Generation;
            // Any record the format can hold: these were accepted by the source cluster, whose max-record setting may be
            // above the default (the default limit refused them with an ArgumentException).
            var wal = await WalWriter.OpenAsync(Path.Combine(temp, "wal"),
                new WalOptions { PreallocateSegments = false, MaxRecordBytes = Wal.Format.WalRecordCodec.MaxPayloadBytes },
                NullLogger.Instance, TimeProvider.System, ct).ConfigureAwait(false);
            long records = 0, fromArchive = 0;
            var end = snapshotLsn;
            DateTimeOffset? lastCommit = manifest.SnapshotCommitTime;
            try
            {
                await wal.ResetAsync(snapshotLsn, before, ct).ConfigureAwait(false);
                var batch = new MemoryStream();
                var batchStart = snapshotLsn;
                var chain = archive is null ? null : new ArchiveChain(Path.GetFullPath(archive));
                var reached = false; // a record at or past the target was seen: everything before it is here
                foreach (var (record, archived) in Available(backup, manifest, chain, history))
                {
                    if (target.Lsn is { } lsn)
                    {
                        if (record.Lsn.Value >= lsn) { reached = true; break; }
                        if (record.EndLsn.Value > lsn)
                            throw new AkkaReplException($"LSN {lsn} is inside the record at LSN {record.Lsn}..{record.EndLsn}: restore to LSN {record.Lsn} or {record.EndLsn}");
                    }
                    else if (Time(record.CommitTimestampMicros) > target.Time) { reached = true; break; }
                    batch.Write(WalRecordsFile.Encode(record));
                    if (record.Kind == WalRecordKind.GenerationStart && history.All(h => h.Generation != record.Generation))
                        history.Add(new GenerationStart(record.Generation, record.Lsn));
                    end = record.EndLsn;
                    lastCommit = Time(record.CommitTimestampMicros);
                    records++;
                    if (archived) fromArchive++;
                    if (batch.Length >= BatchBytes) batchStart = await FlushAsync(wal, batch, batchStart, ct).ConfigureAwait(false);
                }
                if (target.Lsn == end.Value) reached = true;
                if (!reached)
                {
                    var available = $"the backup's WAL ends at LSN {manifest.EndLsn}" + (chain is null
                        ? " and no archive was given (--archive DIR)"
                        : $"; after it, {chain.StopReason}");
                    throw new AkkaReplException(target.Lsn is { } l
                        ? $"LSN {l} is past what is available: {available}"
                        : $"time {target.Time:O} is past what is available (the last record available, at LSN {end}, was committed at {lastCommit:O}): {available}");
                }
                await FlushAsync(wal, batch, batchStart, ct).ConfigureAwait(false);
            }
            finally
            {
                await wal.StopAsync().ConfigureAwait(false);
            }

            var generations = GenerationHistory.Open(Path.Combine(temp, "generations"));
            generations.ReplaceAll(history.Where(h => h.Lsn < end || h.Lsn == Lsn.Zero).OrderBy(h => h.Generation.Value).ToList());
            var keys = manifest.Keys;
            // Read-only: the node starts as a replica that follows nobody, so it serves reads and refuses writes.
            if (readOnly)
                new NodeStateStore(temp).Save(new NodeState(history.Count == 0 ? 0 : history.Max(h => h.Generation.Value), NodeRole.Replica, null));
            var note = new { restoredFrom = Path.GetFullPath(backup), sourceCluster = manifest.ClusterId, sourceNode = manifest.SourceNode,
                clusterId, readOnly, target = target.ToString(), snapshotLsn = manifest.SnapshotLsn, endLsn = end.Value, lastCommit, records, fromArchive,
                restoredAt = DateTimeOffset.UtcNow };
            await File.WriteAllBytesAsync(Path.Combine(temp, "RESTORED.json"), JsonSerializer.SerializeToUtf8Bytes(note, new JsonSerializerOptions { WriteIndented = true }), ct).ConfigureAwait(false);
            using (var file = new FileStream(Path.Combine(temp, "RESTORED.json"), FileMode.Open, FileAccess.ReadWrite)) file.Flush(flushToDisk: true);
            foreach (var dir in new[] { "snapshots", "wal", "" }) DirectorySync.Sync(Path.Combine(temp, dir));
            if (Directory.Exists(destination)) Directory.Delete(destination); // empty, checked above
            Directory.Move(temp, destination);
            DirectorySync.Sync(parent);
            progress($"Restored {records:N0} records after the snapshot ({fromArchive:N0} from the archive): the state at LSN {end.Value:N0}" +
                     (lastCommit is { } t ? $", last change committed at {t:O}" : ""));
            return new RestoreResult(manifest.SnapshotLsn, end.Value, lastCommit, records, fromArchive, keys, clusterId);
        }
        catch
        {
            try { if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true); }
            catch (IOException) { /* best effort; its name says it is unfinished */ }
            throw;
        }
    }

    private static void CheckTargetNotBeforeSnapshot(BackupManifest manifest, RestoreTarget target)
    {
        if (target.Lsn is { } lsn && lsn < manifest.SnapshotLsn)
            throw new AkkaReplException($"LSN {lsn} is before this backup's snapshot (LSN {manifest.SnapshotLsn}): the backup restores to LSN {manifest.SnapshotLsn} or later; use an older backup");
        if (target.Time is { } time)
        {
            if (manifest.SnapshotCommitTime is { } snap && time < snap)
                throw new AkkaReplException($"time {time:O} is before this backup's snapshot, whose last change was committed at {snap:O}: use an older backup");
            if (manifest.SnapshotCommitTime is null && (manifest.FirstRecordTime is null || time < manifest.FirstRecordTime))
                throw new AkkaReplException($"the backup does not record when its snapshot's last change was committed, so it cannot tell whether its snapshot holds changes after {time:O}; restore to an LSN (--to-lsn {manifest.SnapshotLsn} or later) instead");
        }
    }

    /// <summary>The backup's records, then the archive's from where they end.</summary>
    /// <param name="history">The generation history, kept up to date by the caller with each record taken: the archive
    /// is checked against it as it stands after the backup's records.</param>
    private static IEnumerable<(WalRecord Record, bool Archived)> Available(string backup, BackupManifest manifest, ArchiveChain? archive,
        IReadOnlyList<GenerationStart> history)
    {
        foreach (var record in WalRecordsFile.Read(Path.Combine(backup, BackupVerifier.WalFileName(manifest.SnapshotLsn, manifest.EndLsn)),
                     new Lsn(manifest.SnapshotLsn), new Lsn(manifest.EndLsn)))
            yield return (record, false);
        if (archive is null) yield break;
        foreach (var record in archive.From(new Lsn(manifest.EndLsn), history)) yield return (record, true);
    }

    private static async Task<Lsn> FlushAsync(WalWriter wal, MemoryStream batch, Lsn start, CancellationToken ct)
    {
        if (batch.Length == 0) return start;
        var end = await wal.AppendEncodedAsync(batch.ToArray(), start, ct).ConfigureAwait(false);
        batch.SetLength(0);
        return end;
    }

    private static DateTimeOffset Time(long micros) => DateTimeOffset.UnixEpoch.AddTicks(micros * 10);
}
