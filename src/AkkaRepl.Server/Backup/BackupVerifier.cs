using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Storage.Snapshots;

namespace AkkaRepl.Server.Backup;

/// <summary>
/// Checks a backup completely: the manifest, every listed file's presence, size and SHA-256, that the snapshot
/// loads and holds the manifest's LSN and key count, and that the WAL records decode, each with a matching
/// checksum, contiguous from the snapshot's LSN to the manifest's end. The first problem is thrown as an
/// <see cref="AkkaReplException"/> that names the file and what is wrong.
/// </summary>
internal static class BackupVerifier
{
    public const string SnapshotDir = "snapshot";
    public const string WalDir = "wal";

    /// <summary>The backup's WAL file name for records from <paramref name="from"/> to <paramref name="end"/>.</summary>
    public static string WalFileName(ulong from, ulong end) => $"{WalDir}/{from:D20}-{end:D20}.records";

    public static BackupManifest Verify(string directory, Action<string>? progress = null)
    {
        var manifest = BackupManifest.Load(directory);
        foreach (var file in manifest.Files)
        {
            var path = Path.Combine(directory, file.Path);
            if (!File.Exists(path))
                throw new AkkaReplException($"backup '{directory}' is missing {file.Path} (listed in {BackupManifest.FileName}, {file.Bytes} bytes)");
            var actual = BackupManifest.Describe(directory, file.Path);
            if (actual.Bytes != file.Bytes)
                throw new AkkaReplException($"backup file {file.Path} has {actual.Bytes} bytes, but {BackupManifest.FileName} says {file.Bytes}: it was cut or changed");
            if (actual.Sha256 != file.Sha256)
                throw new AkkaReplException($"backup file {file.Path} is corrupt: its SHA-256 is {actual.Sha256}, but {BackupManifest.FileName} says {file.Sha256}");
            progress?.Invoke($"  {file.Path}: {file.Bytes:N0} bytes, SHA-256 matches");
        }

        var snapshots = manifest.Files.Where(f => f.Path.StartsWith(SnapshotDir + "/", StringComparison.Ordinal)).ToList();
        if (snapshots.Count != 1)
            throw new AkkaReplException($"{BackupManifest.FileName} of '{directory}' lists {snapshots.Count} snapshot files; a backup has exactly one");
        var store = new KvStore();
        // The listed file itself, read only: opening a SnapshotStore on the backup deleted temp files in it (a verifier
        // must not change what it verifies, and failed on a read-only backup) and loaded whichever snapshot was newest.
        try { SnapshotStore.LoadFile(Path.Combine(directory, snapshots[0].Path), new Lsn(manifest.SnapshotLsn), store); }
        catch (Exception ex) when (ex is StorageCorruptException or IOException)
        {
            throw new AkkaReplException($"backup file {snapshots[0].Path} is not a readable snapshot at LSN {manifest.SnapshotLsn}: {ex.Message}");
        }
        if (store.Count != manifest.Keys)
            throw new AkkaReplException($"backup file {snapshots[0].Path} holds {store.Count} keys at LSN {manifest.SnapshotLsn}, but {BackupManifest.FileName} says {manifest.Keys} keys");
        progress?.Invoke($"  snapshot loads: {store.Count:N0} keys at LSN {manifest.SnapshotLsn:N0}");

        var walName = WalFileName(manifest.SnapshotLsn, manifest.EndLsn);
        if (manifest.Files.All(f => f.Path != walName))
            throw new AkkaReplException($"{BackupManifest.FileName} of '{directory}' does not list {walName}, the WAL from the snapshot's LSN to its end");
        long records;
        try { records = WalRecordsFile.Read(Path.Combine(directory, walName), new Lsn(manifest.SnapshotLsn), new Lsn(manifest.EndLsn)).LongCount(); }
        catch (StorageCorruptException ex) { throw new AkkaReplException($"backup file {walName}: {ex.Message}"); }
        progress?.Invoke($"  WAL: {records:N0} records, LSN {manifest.SnapshotLsn:N0} to {manifest.EndLsn:N0}, contiguous, checksums match");
        return manifest;
    }
}
