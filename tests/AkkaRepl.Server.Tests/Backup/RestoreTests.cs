using AkkaRepl.Client.Resp;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Backup;
using AkkaRepl.Server.Node;
using AkkaRepl.Server.Tests.Node;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Backup;

/// <summary>
/// Point-in-time recovery: a node with a WAL archive, a backup, then a mistake (keys deleted) at a known time,
/// followed by more writes. Restores go back to just before the mistake, and bad inputs are refused whole.
/// </summary>
public sealed class RestoreTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDataDir _work = new();
    private string Archive => Path.Combine(_work.Path, "archive");
    private string BackupDir => Path.Combine(_work.Path, "backup");

    public void Dispose() => _work.Dispose();

    /// <summary>What the scenario left: the time just before the mistake and the LSNs around it.</summary>
    private sealed record Scenario(DateTimeOffset BeforeMistake, ulong MistakeLsn, ulong AfterMistakeLsn, BackupManifest Backup);

    private async Task<Scenario> RunScenarioAsync(InProcessCluster cluster)
    {
        var p = await cluster.StartAsync("p");
        await using var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort);
        for (var i = 0; i < 100; i++) await redis.ExecuteAsync(default, "SET", $"k{i}", $"v{i}");
        var backup = await new BackupWriter(output.WriteLine).TakeAsync($"127.0.0.1:{p.HttpPort}", BackupDir, CancellationToken.None);
        for (var i = 0; i < 50; i++) await redis.ExecuteAsync(default, "SET", $"m{i}", $"after-backup-{i}");
        var mistakeLsn = p.GetStatus().FlushedLsn;
        var before = DateTimeOffset.UtcNow; // every record so far was committed at or before this
        await Wait.Until(() => DateTimeOffset.UtcNow > before.AddMilliseconds(1), "the clock to move past the mark");
        Assert.Equal(4, (await redis.ExecuteAsync(default, "DEL", "k10", "k11", "k12", "m5")).Integer);
        var afterMistake = p.GetStatus().FlushedLsn;
        // More writes after the mistake roll segments and trigger snapshots, which archive the sealed ones.
        for (var i = 0; i < 300; i++) await redis.ExecuteAsync(default, "SET", $"n{i}", new string('x', 40));
        await Wait.Until(() => ArchivedEnd() > afterMistake, "the archive to hold the mistake and a record after it");
        return new Scenario(before, mistakeLsn, afterMistake, backup);
    }

    private ulong ArchivedEnd() => Directory.Exists(Archive)
        ? Directory.EnumerateFiles(Archive, "*.wal").Select(f => ulong.Parse(Path.GetFileName(f).AsSpan(21, 20))).DefaultIfEmpty(0UL).Max() : 0;

    private InProcessCluster NewCluster() => new("p")
    {
        Tune = o => o with
        {
            Wal = o.Wal with { SegmentSizeBytes = 4096, PreallocateSegments = false },
            Snapshot = o.Snapshot with { IntervalBytes = 4096 },
            Replication = o.Replication with { ArchiveDir = Archive },
        },
    };

    private static async Task<NodeHost> StartRestoredAsync(string dataDir, string clusterId) =>
        await NodeHost.StartAsync(new AkkaReplOptions
        {
            Node = new NodeOptions { NodeId = "restored", ClusterId = clusterId, DataDir = dataDir, RespPort = 0, HttpPort = 0, ReplicationPort = 0 },
        }, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, default);

    private static async Task<string?> GetAsync(NodeHost node, string key)
    {
        await using var redis = await RespConnection.ConnectAsync("127.0.0.1", node.RespPort);
        return (await redis.ExecuteAsync(default, "GET", key)).AsString();
    }

    [Fact(Timeout = 120_000)]
    public async Task Restoring_to_just_before_a_mistaken_delete_brings_the_keys_back()
    {
        await using var cluster = NewCluster();
        await cluster.RunAsync(output, async () =>
        {
            var s = await RunScenarioAsync(cluster);
            var restored = Path.Combine(_work.Path, "restored");
            var result = await new PointInTimeRestore(output.WriteLine).RunAsync(BackupDir, Archive, new RestoreTarget(null, s.BeforeMistake),
                restored, "pitr-test", readOnly: false, CancellationToken.None);
            Assert.Equal(s.MistakeLsn, result.EndLsn);
            Assert.True(result.FromArchive > 0, "the records after the backup came from the archive");
            Assert.Empty(Directory.EnumerateDirectories(_work.Path, ".restored.restoring-*"));

            await using var node = await StartRestoredAsync(restored, "pitr-test");
            Assert.Equal("primary", node.GetStatus().Role); // a new cluster of one, writable
            Assert.Equal("pitr-test", node.GetStatus().ClusterId);
            foreach (var key in new[] { "k10", "k11", "k12" }) Assert.Equal($"v{key[1..]}", await GetAsync(node, key));
            Assert.Equal("after-backup-5", await GetAsync(node, "m5"));
            Assert.Equal("after-backup-49", await GetAsync(node, "m49"));
            Assert.Null(await GetAsync(node, "n0")); // written after the mistake: not restored
            Assert.Equal(150, node.Store.Count);
        });
    }

    /// <summary>A cluster configured with records above the default 16 MiB limit: the restore wrote them through a
    /// WAL opened with the default options and failed with an ArgumentException.</summary>
    [Fact(Timeout = 120_000)]
    public async Task A_record_above_the_default_limit_from_a_cluster_that_allows_it_is_restored()
    {
        await using var cluster = new InProcessCluster("p")
        {
            Tune = o => o with
            {
                Wal = o.Wal with { SegmentSizeBytes = 4096, PreallocateSegments = false, MaxRecordBytes = 20 * 1024 * 1024 },
                Snapshot = o.Snapshot with { IntervalBytes = 4096, LogToStateRatio = 0 },
                Replication = o.Replication with { ArchiveDir = Archive, MaxFrameBytes = 64L * 1024 * 1024 },
            },
        };
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            await using var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort);
            for (var i = 0; i < 10; i++) await redis.ExecuteAsync(default, "SET", $"k{i}", $"v{i}");
            await new BackupWriter(output.WriteLine).TakeAsync($"127.0.0.1:{p.HttpPort}", BackupDir, CancellationToken.None);
            var big = new string('b', 17 * 1024 * 1024);
            Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", "big", big)).AsString());
            var bigEnd = p.GetStatus().FlushedLsn;
            // Small writes after it seal its segment and trigger snapshots, which archive it (a snapshot is taken only
            // as records are applied, so the writes go on until it is there).
            for (var i = 0; !(ArchivedEnd() > bigEnd); i++) await redis.ExecuteAsync(default, "SET", $"n{i % 100}", new string('x', 40));

            var restored = Path.Combine(_work.Path, "large");
            var result = await new PointInTimeRestore(output.WriteLine).RunAsync(BackupDir, Archive, new RestoreTarget(bigEnd, null),
                restored, "large", readOnly: true, CancellationToken.None);
            Assert.Equal(bigEnd, result.EndLsn);
            await using var node = await StartRestoredAsync(restored, "large");
            Assert.Equal(big.Length, (await GetAsync(node, "big"))?.Length);
        });
    }

    [Fact(Timeout = 120_000)]
    public async Task Restoring_to_an_lsn_read_only_serves_reads_and_refuses_writes()
    {
        await using var cluster = NewCluster();
        await cluster.RunAsync(output, async () =>
        {
            var s = await RunScenarioAsync(cluster);
            var restored = Path.Combine(_work.Path, "inspect");
            var result = await new PointInTimeRestore(output.WriteLine).RunAsync(BackupDir, Archive, new RestoreTarget(s.MistakeLsn, null),
                restored, "inspect", readOnly: true, CancellationToken.None);
            Assert.Equal(s.MistakeLsn, result.EndLsn);
            await using var node = await StartRestoredAsync(restored, "inspect");
            Assert.Equal("v11", await GetAsync(node, "k11"));
            await using var redis = await RespConnection.ConnectAsync("127.0.0.1", node.RespPort);
            Assert.Equal("READONLY You can't write against a read only replica.", (await redis.ExecuteAsync(default, "SET", "x", "1")).Text);
        });
    }

    [Fact(Timeout = 120_000)]
    public async Task A_data_directory_given_with_a_trailing_slash_is_restored_there()
    {
        await using var cluster = NewCluster();
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort))
                for (var i = 0; i < 20; i++) await redis.ExecuteAsync(default, "SET", $"k{i}", $"v{i}");
            var backup = await new BackupWriter(output.WriteLine).TakeAsync($"127.0.0.1:{p.HttpPort}", BackupDir, CancellationToken.None);
            // As a shell's tab completion gives it: the trailing separator used to make the target its own parent, so the
            // hidden restoring directory was made inside it and the final rename failed after all the work.
            var restored = Path.Combine(_work.Path, "slash");
            var result = await new PointInTimeRestore(output.WriteLine).RunAsync(BackupDir, null, new RestoreTarget(backup.EndLsn, null),
                restored + Path.DirectorySeparatorChar, "slash", readOnly: false, CancellationToken.None);
            Assert.Equal(backup.EndLsn, result.EndLsn);
            Assert.True(File.Exists(Path.Combine(restored, "RESTORED.json")), "the restored data directory is complete");
            Assert.Empty(Directory.EnumerateDirectories(_work.Path, ".*restoring-*"));
            Assert.Empty(Directory.EnumerateDirectories(restored, ".*"));
        });
    }

    [Fact(Timeout = 120_000)]
    public async Task Bad_targets_gaps_and_damaged_backups_are_refused_and_nothing_is_restored()
    {
        await using var cluster = NewCluster();
        await cluster.RunAsync(output, async () =>
        {
            var s = await RunScenarioAsync(cluster);
            await cluster.StopAsync("p");
            var target = Path.Combine(_work.Path, "target");
            async Task<string> Refused(string backup, string? archive, RestoreTarget to)
            {
                var error = await Assert.ThrowsAsync<AkkaReplException>(() =>
                    new PointInTimeRestore(_ => { }).RunAsync(backup, archive, to, target, "x", readOnly: false, CancellationToken.None));
                Assert.False(Directory.Exists(target), "nothing restored into the target");
                Assert.Empty(Directory.EnumerateDirectories(_work.Path, ".target.restoring-*"));
                return error.Message;
            }
            var archivedEnd = ArchivedEnd();

            // Outside the range: before the snapshot, past the archive, inside a record, without an archive.
            Assert.Equal($"LSN 1 is before this backup's snapshot (LSN {s.Backup.SnapshotLsn}): the backup restores to LSN {s.Backup.SnapshotLsn} or later; use an older backup",
                await Refused(BackupDir, Archive, new RestoreTarget(1, null)));
            Assert.Equal($"LSN 999999999 is past what is available: the backup's WAL ends at LSN {s.Backup.EndLsn}; after it, the archive ends at LSN {archivedEnd} (its last segment ends there)",
                await Refused(BackupDir, Archive, new RestoreTarget(999_999_999, null)));
            Assert.StartsWith($"LSN {s.MistakeLsn + 1} is inside the record at LSN {s.MistakeLsn}..",
                await Refused(BackupDir, Archive, new RestoreTarget(s.MistakeLsn + 1, null)));
            Assert.Equal($"LSN {s.MistakeLsn} is past what is available: the backup's WAL ends at LSN {s.Backup.EndLsn} and no archive was given (--archive DIR)",
                await Refused(BackupDir, null, new RestoreTarget(s.MistakeLsn, null)));
            var snapshotTime = s.Backup.SnapshotCommitTime ?? throw new InvalidOperationException("the source had applied records: the snapshot's commit time is known");
            Assert.Equal($"time {snapshotTime.AddSeconds(-1):O} is before this backup's snapshot, whose last change was committed at {snapshotTime:O}: use an older backup",
                await Refused(BackupDir, Archive, new RestoreTarget(null, snapshotTime.AddSeconds(-1))));
            Assert.StartsWith($"time {DateTimeOffset.UnixEpoch.AddYears(100):O} is past what is available (the last record available, at LSN {archivedEnd}, was committed at ",
                await Refused(BackupDir, Archive, new RestoreTarget(null, DateTimeOffset.UnixEpoch.AddYears(100))));

            // A gap in the archive: the segment holding the mistake is gone.
            var files = Directory.GetFiles(Archive, "*.wal").Order(StringComparer.Ordinal).ToList();
            var holding = files.First(f => ulong.Parse(Path.GetFileName(f).AsSpan(21, 20)) > s.MistakeLsn && ulong.Parse(Path.GetFileName(f).AsSpan(0, 20)) > s.Backup.EndLsn);
            var first = ulong.Parse(Path.GetFileName(holding).AsSpan(0, 20));
            var next = files[files.IndexOf(holding) + 1];
            File.Move(holding, holding + ".moved");
            var nextFirst = ulong.Parse(Path.GetFileName(next).AsSpan(0, 20));
            var gap = await Refused(BackupDir, Archive, new RestoreTarget(null, s.BeforeMistake));
            Assert.StartsWith($"time {s.BeforeMistake:O} is past what is available (the last record available, at LSN {first}, was committed at ", gap);
            Assert.EndsWith($"after it, the archive has a gap: no archived segment holds LSN {first} to {nextFirst} (the next one, {Path.GetFileName(next)}, starts at LSN {nextFirst})", gap);
            File.Move(holding + ".moved", holding);

            // A damaged or incomplete backup.
            var wal = Path.Combine(BackupDir, BackupVerifier.WalFileName(s.Backup.SnapshotLsn, s.Backup.EndLsn));
            var listed = s.Backup.Files.Single(f => f.Path == BackupVerifier.WalFileName(s.Backup.SnapshotLsn, s.Backup.EndLsn));
            File.Move(wal, wal + ".moved");
            Assert.Equal($"backup '{BackupDir}' is missing {listed.Path} (listed in manifest.json, {listed.Bytes} bytes)",
                await Refused(BackupDir, Archive, new RestoreTarget(null, s.BeforeMistake)));
            File.Move(wal + ".moved", wal);

            // A target directory that is in use.
            Directory.CreateDirectory(target);
            await File.WriteAllTextAsync(Path.Combine(target, "keep"), "x");
            var busy = await Assert.ThrowsAsync<AkkaReplException>(() =>
                new PointInTimeRestore(_ => { }).RunAsync(BackupDir, Archive, new RestoreTarget(s.MistakeLsn, null), target, "x", false, CancellationToken.None));
            Assert.Equal($"data directory '{target}' already exists and is not empty: restore into a new directory", busy.Message);
            Assert.Equal(["keep"], Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName));
        });
    }
}
