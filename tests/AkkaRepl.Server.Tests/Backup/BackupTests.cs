using System.Text;
using AkkaRepl.Client.Resp;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Backup;
using AkkaRepl.Server.Tests.Node;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Storage.Snapshots;
using AkkaRepl.Storage.StateMachine;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Backup;

public sealed class BackupTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDataDir _backups = new();

    public void Dispose() => _backups.Dispose();

    /// <summary>The state a backup holds at its end: its snapshot plus its WAL records applied.</summary>
    internal static KvStore StateOf(string backup)
    {
        var manifest = BackupManifest.Load(backup);
        var store = new KvStore();
        new SnapshotStore(Path.Combine(backup, "snapshot"), new SnapshotOptions(), NullLogger<SnapshotStore>.Instance).LoadLatest(store);
        foreach (var r in WalRecordsFile.Read(Path.Combine(backup, BackupVerifier.WalFileName(manifest.SnapshotLsn, manifest.EndLsn)),
                     new Lsn(manifest.SnapshotLsn), new Lsn(manifest.EndLsn)))
            if (r.Kind == Wal.WalRecordKind.Command)
                store.Apply(new CommittedEntry(r.Generation, r.Lsn, r.EndLsn, r.CommitTimestampMicros, r.Payload));
        return store;
    }

    internal static string? Get(KvStore store, string key) =>
        store.ExecuteRead([Encoding.UTF8.GetBytes("GET"), Encoding.UTF8.GetBytes(key)]).Bulk is { } b ? Encoding.UTF8.GetString(b) : null;

    [Fact(Timeout = 120_000)]
    public async Task A_backup_taken_from_a_replica_while_writes_go_on_holds_a_prefix_of_the_log_and_verifies()
    {
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            await cluster.StartAsync("r1");
            var r2 = await cluster.StartAsync("r2");
            await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort))
                for (var i = 0; i < 200; i++) await redis.ExecuteAsync(default, "SET", $"k{i}", $"v{i}");
            using var stop = new CancellationTokenSource();
            var written = 0;
            var writer = Task.Run(async () =>
            {
                await using var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort);
                while (!stop.IsCancellationRequested) await redis.ExecuteAsync(default, "SET", $"w{written}", $"{written++}");
            });
            await Wait.Until(() => Volatile.Read(ref written) > 20, "the writer to run");

            var lines = new List<string>();
            var target = Path.Combine(_backups.Path, "b1");
            // r2 started last, so it knows every member's real address; the source chosen is a streaming replica.
            var manifest = await new BackupWriter(lines.Add).TakeAsync($"127.0.0.1:{r2.HttpPort}", target, CancellationToken.None);
            var during = Volatile.Read(ref written);
            await stop.CancelAsync();
            await writer;
            foreach (var line in lines) output.WriteLine(line);

            Assert.Equal("r1", manifest.SourceNode);
            Assert.Equal("replica", manifest.SourceRole);
            Assert.Contains(lines, l => l.StartsWith("Backing up from r1 (a streaming replica, preferred over the primary)", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("snapshot at LSN", StringComparison.Ordinal));
            Assert.True(manifest.EndLsn >= manifest.SnapshotLsn);
            Assert.Equal(["manifest.json", $"snapshot/snapshot-{manifest.SnapshotLsn:D20}.snap", BackupVerifier.WalFileName(manifest.SnapshotLsn, manifest.EndLsn)],
                Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(target, f)).Order(StringComparer.Ordinal));
            Assert.Empty(Directory.EnumerateDirectories(_backups.Path, ".b1.partial-*"));
            Assert.Equal(manifest, BackupVerifier.Verify(target) with { }, ManifestComparer.Instance);

            // Consistent: every base key, and of the writer's keys exactly a gap-free prefix.
            var state = StateOf(target);
            for (var i = 0; i < 200; i++) Assert.Equal($"v{i}", Get(state, $"k{i}"));
            var prefix = 0;
            while (Get(state, $"w{prefix}") is not null) prefix++;
            Assert.True(prefix > 0 && prefix <= during, $"prefix {prefix}, written {during}");
            Assert.Equal(200 + prefix, state.Count);
        });
    }

    [Fact(Timeout = 120_000)]
    public async Task Backup_verify_names_the_missing_or_corrupt_file()
    {
        await using var cluster = new InProcessCluster("p");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort))
                for (var i = 0; i < 50; i++) await redis.ExecuteAsync(default, "SET", $"k{i}", $"v{i}");
            var target = Path.Combine(_backups.Path, "b");
            var manifest = await new BackupWriter(output.WriteLine).TakeAsync($"127.0.0.1:{p.HttpPort}", target, CancellationToken.None);
            Assert.Equal("p", manifest.SourceNode); // no replica: the node given

            // The node was idle: its WAL part is empty, and the snapshot holds everything.
            var wal = BackupVerifier.WalFileName(manifest.SnapshotLsn, manifest.EndLsn);
            var snapshot = manifest.Files.Single(f => f.Path.StartsWith("snapshot/", StringComparison.Ordinal)).Path;
            var bytes = File.ReadAllBytes(Path.Combine(target, snapshot));
            bytes[bytes.Length / 2] ^= 0x40;
            File.WriteAllBytes(Path.Combine(target, snapshot), bytes);
            var corrupt = Assert.Throws<AkkaReplException>(() => BackupVerifier.Verify(target));
            var actual = BackupManifest.Describe(target, snapshot).Sha256;
            Assert.Equal($"backup file {snapshot} is corrupt: its SHA-256 is {actual}, but manifest.json says {manifest.Files.Single(f => f.Path == snapshot).Sha256}", corrupt.Message);

            bytes[bytes.Length / 2] ^= 0x40;
            File.WriteAllBytes(Path.Combine(target, snapshot), bytes);
            BackupVerifier.Verify(target);
            File.Delete(Path.Combine(target, wal));
            var missing = Assert.Throws<AkkaReplException>(() => BackupVerifier.Verify(target));
            Assert.Equal($"backup '{target}' is missing {wal} (listed in manifest.json, 0 bytes)", missing.Message);

            File.Delete(Path.Combine(target, "manifest.json"));
            Assert.Equal($"backup '{target}' has no manifest.json: it is not a backup, or one that never finished",
                Assert.Throws<AkkaReplException>(() => BackupVerifier.Verify(target)).Message);
        });
    }

    /// <summary>A verifier must not change what it verifies: it opened a snapshot store on the backup, whose
    /// constructor deleted the temp files in it (and failed on a read-only backup that held one).</summary>
    [Fact(Timeout = 120_000)]
    public async Task Backup_verify_changes_nothing_in_the_backup()
    {
        await using var cluster = new InProcessCluster("p");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort))
                for (var i = 0; i < 20; i++) await redis.ExecuteAsync(default, "SET", $"k{i}", $"v{i}");
            var target = Path.Combine(_backups.Path, "b");
            var manifest = await new BackupWriter(output.WriteLine).TakeAsync($"127.0.0.1:{p.HttpPort}", target, CancellationToken.None);
            var stray = Path.Combine(target, "snapshot", $"snapshot-{manifest.SnapshotLsn:D20}.snap.tmp"); // not listed: an operator's, or a copy's
            await File.WriteAllTextAsync(stray, "left here");
            var before = Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

            BackupVerifier.Verify(target);

            Assert.Equal(before, Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
            Assert.Equal("left here", await File.ReadAllTextAsync(stray));
        });
    }

    /// <summary>While the image streams, the node goes on writing snapshots; retention then trimmed the log below the
    /// image's LSN, and the WAL request after the image failed with 409. The backup holds the log from there now.</summary>
    [Fact(Timeout = 120_000)]
    public async Task Snapshots_written_while_the_image_streams_do_not_trim_the_log_the_backup_still_needs()
    {
        await using var cluster = new InProcessCluster("p")
        {
            Tune = o => o with
            {
                Wal = o.Wal with { SegmentSizeBytes = 4096, PreallocateSegments = false },
                Snapshot = o.Snapshot with { IntervalBytes = 4096, Retain = 2 },
            },
        };
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort))
                for (var i = 0; i < 20; i++) await redis.ExecuteAsync(default, "SET", $"k{i}", $"v{i}");
            var imageLsn = 0UL;
            var firstAfterTrims = ulong.MaxValue;
            // Called while the image is read, before the WAL is asked for: the node writes several snapshots meanwhile.
            void Progress(string line)
            {
                output.WriteLine(line);
                if (imageLsn != 0 || !line.StartsWith("  snapshot at LSN ", StringComparison.Ordinal)) return;
                imageLsn = ulong.Parse(new string(line["  snapshot at LSN ".Length..].TakeWhile(c => c != ':').Where(char.IsAsciiDigit).ToArray()),
                    System.Globalization.CultureInfo.InvariantCulture);
                Task.Run(async () =>
                {
                    await using var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort);
                    // A snapshot is taken only as records are applied, so the writes go on until there are enough.
                    for (var i = 0; SnapshotsAfter(imageLsn) < 5; i++)
                        await redis.ExecuteAsync(default, "SET", $"k{i % 20}", new string('x', 60)); // the state stays small
                }).GetAwaiter().GetResult();
                firstAfterTrims = p.Wal.FirstLsn.Value;
            }
            int SnapshotsAfter(ulong lsn) => cluster.Logs.Lines
                .Select(l => System.Text.RegularExpressions.Regex.Match(l.Message, @"^Snapshot written at LSN (\d+)$"))
                .Count(m => m.Success && ulong.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > lsn);

            var target = Path.Combine(_backups.Path, "held");
            var manifest = await new BackupWriter(Progress).TakeAsync($"127.0.0.1:{p.HttpPort}", target, CancellationToken.None);
            Assert.Equal(imageLsn, manifest.SnapshotLsn);
            Assert.True(firstAfterTrims <= imageLsn, $"the log was trimmed to {firstAfterTrims}, past the image's LSN {imageLsn}");
            Assert.True(manifest.EndLsn > imageLsn);
            Assert.Equal(20, StateOf(target).Count);
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task A_backup_is_refused_into_a_non_empty_directory_and_leaves_nothing_when_the_node_is_unreachable()
    {
        var existing = Path.Combine(_backups.Path, "full");
        Directory.CreateDirectory(existing);
        await File.WriteAllTextAsync(Path.Combine(existing, "x"), "x");
        var refused = await Assert.ThrowsAsync<AkkaReplException>(() => new BackupWriter(_ => { }).TakeAsync("127.0.0.1:1", existing, CancellationToken.None));
        Assert.Equal($"backup directory '{existing}' already exists and is not empty: give a new directory", refused.Message);

        var target = Path.Combine(_backups.Path, "new");
        var unreachable = await Assert.ThrowsAsync<AkkaReplException>(() => new BackupWriter(_ => { }).TakeAsync("127.0.0.1:1", target, CancellationToken.None));
        Assert.StartsWith("cannot reach node 127.0.0.1:1", unreachable.Message);
        Assert.False(Directory.Exists(target));
        Assert.Equal(["full"], Directory.EnumerateFileSystemEntries(_backups.Path).Select(Path.GetFileName));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_backup_target_given_with_a_trailing_slash_is_written_there()
    {
        await using var cluster = new InProcessCluster("p");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort))
                for (var i = 0; i < 20; i++) await redis.ExecuteAsync(default, "SET", $"k{i}", $"v{i}");
            // As a shell's tab completion gives it: the trailing separator used to make the target its own parent, so
            // the hidden partial directory was made inside it and the final rename failed after all the work.
            var target = Path.Combine(_backups.Path, "slash");
            var manifest = await new BackupWriter(output.WriteLine).TakeAsync($"127.0.0.1:{p.HttpPort}", target + Path.DirectorySeparatorChar, CancellationToken.None);
            Assert.Equal(20, manifest.Keys);
            Assert.Equal(["manifest.json", $"snapshot/snapshot-{manifest.SnapshotLsn:D20}.snap", BackupVerifier.WalFileName(manifest.SnapshotLsn, manifest.EndLsn)],
                Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(target, f)).Order(StringComparer.Ordinal));
            Assert.Equal(["slash"], Directory.EnumerateFileSystemEntries(_backups.Path).Select(Path.GetFileName));
            BackupVerifier.Verify(target);
        });
    }

    /// <summary>Manifests compared by value (their lists compared item by item).</summary>
    private sealed class ManifestComparer : IEqualityComparer<BackupManifest>
    {
        public static readonly ManifestComparer Instance = new();
        public bool Equals(BackupManifest? x, BackupManifest? y) =>
            x is not null && y is not null && x.ToJson().AsSpan().SequenceEqual(y.ToJson());
        public int GetHashCode(BackupManifest obj) => 0;
    }
}
