using System.Net.Http.Json;
using System.Text.Json;
using AkkaRepl.Client.Resp;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Node;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Server.Tests.Node;

public sealed class NodeHostTests
{
    private static AkkaReplOptions Options(string dir, SnapshotOptions? snapshot = null, WalOptions? wal = null) => new()
    {
        Node = new NodeOptions { NodeId = "t1", DataDir = dir, RespPort = 0, HttpPort = 0, ReplicationPort = 0 },
        Snapshot = snapshot ?? new SnapshotOptions(),
        Wal = wal ?? new WalOptions(),
    };

    private static async Task<RespConnection> Connect(NodeHost node) =>
        await RespConnection.ConnectAsync("127.0.0.1", node.RespPort);

    /// <summary>The admin endpoint reads no settings file from the working directory and watches no files: a
    /// watcher on the working directory woke on every WAL write when the data directory was under it.</summary>
    [Fact(Timeout = 30_000)]
    public async Task The_admin_endpoint_watches_no_files_and_ignores_the_working_directory()
    {
        using var dir = new TempDataDir();
        await using var node = await NodeHost.StartAsync(Options(dir.Path), new CapturingLoggerFactory(), default);
        var root = Assert.IsAssignableFrom<Microsoft.Extensions.Configuration.IConfigurationRoot>(node.AdminConfiguration);
        var files = root.Providers.OfType<Microsoft.Extensions.Configuration.FileConfigurationProvider>().ToList();
        Assert.All(files, f => Assert.False(f.Source.ReloadOnChange, $"{f.Source.Path} is watched for changes"));
        Assert.Equal(AppContext.BaseDirectory.TrimEnd('/'), root["contentRoot"]?.TrimEnd('/'));
    }

    [Fact(Timeout = 30_000)]
    public async Task Acknowledged_writes_come_back_after_a_restart()
    {
        using var dir = new TempDataDir();
        var loggers = new CapturingLoggerFactory();
        await using (var node = await NodeHost.StartAsync(Options(dir.Path), loggers, default))
        {
            await using var redis = await Connect(node);
            for (var i = 0; i < 200; i++)
                Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", $"k{i}", $"v{i}")).AsString());
            Assert.Equal(5, (await redis.ExecuteAsync(default, "INCRBY", "n", "5")).Integer);
            await redis.ExecuteAsync(default, "MULTI");
            await redis.ExecuteAsync(default, "SET", "t1", "a");
            await redis.ExecuteAsync(default, "SET", "t2", "b");
            Assert.Equal(2, (await redis.ExecuteAsync(default, "EXEC")).Items!.Count);
        }
        await using (var node = await NodeHost.StartAsync(Options(dir.Path), loggers, default))
        {
            await using var redis = await Connect(node);
            Assert.Equal(203, (await redis.ExecuteAsync(default, "DBSIZE")).Integer);
            Assert.Equal("v199", (await redis.ExecuteAsync(default, "GET", "k199")).AsString());
            Assert.Equal("5", (await redis.ExecuteAsync(default, "GET", "n")).AsString());
            Assert.Equal("b", (await redis.ExecuteAsync(default, "GET", "t2")).AsString());
            var status = node.GetStatus();
            Assert.Equal(status.FlushedLsn, status.AppliedLsn);
            Assert.Equal(1UL, status.Generation);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Snapshots_trim_the_wal_and_a_restart_replays_only_the_tail()
    {
        using var dir = new TempDataDir();
        var loggers = new CapturingLoggerFactory();
        var options = Options(dir.Path,
            new SnapshotOptions { IntervalBytes = 16 * 1024, Retain = 2 },
            new WalOptions { SegmentSizeBytes = 8 * 1024 });
        ulong snapshotLsn;
        await using (var node = await NodeHost.StartAsync(options, loggers, default))
        {
            await using var redis = await Connect(node);
            for (var i = 0; i < 2000; i++) await redis.ExecuteAsync(default, "SET", $"key:{i}", new string('x', 40));
            await Wait.Until(() => node.GetStatus().SnapshotLsn > 0 && node.GetStatus().FirstLsn > 0, "a snapshot and a trimmed WAL");
            snapshotLsn = node.GetStatus().SnapshotLsn;
        }
        var snapshots = Directory.GetFiles(Path.Combine(dir.Path, "snapshots"));
        Assert.InRange(snapshots.Length, 1, 2); // Retain = 2: older ones deleted
        await using (var node = await NodeHost.StartAsync(options, loggers, default))
        {
            var status = node.GetStatus();
            Assert.True(status.SnapshotLsn >= snapshotLsn);
            Assert.True(status.FirstLsn > 0, "segments below the oldest kept snapshot are removed");
            await using var redis = await Connect(node);
            Assert.Equal(2000, (await redis.ExecuteAsync(default, "DBSIZE")).Integer);
        }
    }

    /// <summary>What a crash between cutting a divergent suffix and deleting the snapshots past the cut left (the
    /// snapshots now go first, durably): a snapshot past the log's end holds records the log does not have. The node
    /// must not start from it, and must say which snapshot and what to do.</summary>
    [Fact(Timeout = 60_000)]
    public async Task A_snapshot_past_the_end_of_the_wal_is_refused_with_a_message_naming_it()
    {
        using var dir = new TempDataDir();
        var loggers = new CapturingLoggerFactory();
        var options = Options(dir.Path, new SnapshotOptions { IntervalBytes = 16 * 1024, Retain = 2 }, new WalOptions { SegmentSizeBytes = 8 * 1024 });
        await using (var node = await NodeHost.StartAsync(options, loggers, default))
        {
            await using var redis = await Connect(node);
            for (var i = 0; i < 2000; i++) await redis.ExecuteAsync(default, "SET", $"key:{i}", new string('x', 40));
            await Wait.Until(() => Directory.GetFiles(Path.Combine(dir.Path, "snapshots"), "*.snap").Length == 2, "two snapshots");
        }
        var lsns = Directory.GetFiles(Path.Combine(dir.Path, "snapshots"), "*.snap")
            .Select(f => ulong.Parse(Path.GetFileNameWithoutExtension(f)["snapshot-".Length..], System.Globalization.CultureInfo.InvariantCulture))
            .Order().ToList();
        // Cut the log back to the older snapshot, as a divergence would, leaving the newer one past its end.
        var wal = await AkkaRepl.Wal.WalWriter.OpenAsync(Path.Combine(dir.Path, "wal"), options.Wal, loggers.CreateLogger("wal"));
        await wal.TruncateAfterAsync(new AkkaRepl.Core.Ids.Lsn(lsns[0]), default);
        await wal.StopAsync();

        var error = await Assert.ThrowsAsync<StorageCorruptException>(() => NodeHost.StartAsync(options, loggers, default));
        Assert.Contains($"snapshot, at LSN {lsns[1]}, is past the end of the WAL (LSN {lsns[0]})", error.Message);
        Assert.Contains("move it out of", error.Message);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(1.0)]
    [InlineData(0.0)]
    public async Task A_snapshot_waits_for_as_much_log_as_the_last_snapshot_holds_unless_the_ratio_is_0(double ratio)
    {
        using var dir = new TempDataDir();
        var loggers = new CapturingLoggerFactory();
        const int interval = 4 * 1024;
        var options = Options(dir.Path, new SnapshotOptions { IntervalBytes = interval, Retain = 2, LogToStateRatio = ratio });
        await using (var node = await NodeHost.StartAsync(options, loggers, default))
        {
            await using var redis = await Connect(node);
            var value = new string('v', 1000);
            for (var i = 0; i < 600; i++) await redis.ExecuteAsync(default, "SET", $"key:{i}", value); // ~600 KB of state and of log
        }
        var written = loggers.Lines
            .Select(l => System.Text.RegularExpressions.Regex.Match(l.Message, @"Snapshot at LSN (\d+) written: (\d+) bytes"))
            .Where(m => m.Success)
            .Select(m => (Lsn: ulong.Parse(m.Groups[1].Value), Bytes: long.Parse(m.Groups[2].Value)))
            .ToList();
        Assert.True(written.Count >= 3, $"{written.Count} snapshots:\n{loggers.Dump()}");
        Assert.True(written[^1].Bytes > 16 * interval, $"the state ({written[^1].Bytes} bytes) never outgrew the interval");
        var gaps = written.Zip(written.Skip(1), (a, b) => (Log: b.Lsn - a.Lsn, Previous: a.Bytes)).ToList();
        var listing = string.Join(", ", written.Select(w => $"{w.Lsn}:{w.Bytes}B"));
        if (ratio > 0)
            Assert.All(gaps, g => Assert.True(g.Log >= (ulong)Math.Max(interval, g.Previous),
                $"a snapshot came {g.Log} bytes of log after one of {g.Previous} bytes (snapshots: {listing})"));
        else
            Assert.Contains(gaps, g => g.Log < (ulong)g.Previous); // every interval, however large the state
    }

    [Fact(Timeout = 60_000)]
    public async Task A_corrupt_newest_snapshot_falls_back_to_the_previous_one_with_a_warning()
    {
        using var dir = new TempDataDir();
        var options = Options(dir.Path, new SnapshotOptions { IntervalBytes = 8 * 1024, Retain = 3 });
        var loggers = new CapturingLoggerFactory();
        await using (var node = await NodeHost.StartAsync(options, loggers, default))
        {
            await using var redis = await Connect(node);
            for (var i = 0; i < 1500; i++) await redis.ExecuteAsync(default, "SET", $"key:{i}", $"value:{i}");
            await Wait.Until(() => Directory.Exists(Path.Combine(dir.Path, "snapshots"))
                && Directory.GetFiles(Path.Combine(dir.Path, "snapshots")).Count(f => !f.EndsWith(".tmp")) >= 2, "two snapshots");
        }
        var newest = Directory.GetFiles(Path.Combine(dir.Path, "snapshots")).Where(f => !f.EndsWith(".tmp")).Order().Last();
        var bytes = await File.ReadAllBytesAsync(newest);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(newest, bytes);

        var after = new CapturingLoggerFactory();
        await using (var node = await NodeHost.StartAsync(options, after, default))
        {
            await using var redis = await Connect(node);
            Assert.Equal(1500, (await redis.ExecuteAsync(default, "DBSIZE")).Integer);
            Assert.Equal("value:1499", (await redis.ExecuteAsync(default, "GET", "key:1499")).AsString());
        }
        Assert.True(after.Lines.Any(l => l.Level == LogLevel.Warning && l.Message.Contains(Path.GetFileName(newest))),
            "a warning names the corrupt snapshot:\n" + after.Dump());
    }

    [Fact(Timeout = 30_000)]
    public async Task A_second_node_on_the_same_data_directory_is_refused()
    {
        using var dir = new TempDataDir();
        await using var first = await NodeHost.StartAsync(Options(dir.Path), new CapturingLoggerFactory(), default);
        var error = await Assert.ThrowsAsync<AkkaReplException>(() => NodeHost.StartAsync(Options(dir.Path), new CapturingLoggerFactory(), default));
        Assert.Contains("is in use by another akkarepl process", error.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_port_in_use_is_refused_with_the_key_that_names_it()
    {
        using var dir1 = new TempDataDir();
        using var dir2 = new TempDataDir();
        await using var first = await NodeHost.StartAsync(Options(dir1.Path), new CapturingLoggerFactory(), default);
        var clash = Options(dir2.Path) with { Node = Options(dir2.Path).Node with { RespPort = first.RespPort } };
        var error = await Assert.ThrowsAsync<AkkaReplException>(() => NodeHost.StartAsync(clash, new CapturingLoggerFactory(), default));
        Assert.StartsWith($"cannot listen on port {first.RespPort} (akkarepl.node.resp-port)", error.Message);
        // Nothing was left half started: the data directory lock was released.
        await using var again = await NodeHost.StartAsync(Options(dir2.Path), new CapturingLoggerFactory(), default);
    }

    [Fact(Timeout = 30_000)]
    public async Task Status_and_health_are_served_over_http()
    {
        using var dir = new TempDataDir();
        await using var node = await NodeHost.StartAsync(Options(dir.Path), new CapturingLoggerFactory(), default);
        await using (var redis = await Connect(node)) await redis.ExecuteAsync(default, "SET", "a", "b");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{node.HttpPort}") };
        Assert.Equal("ok\n", await http.GetStringAsync("/health"));
        var status = await http.GetFromJsonAsync<JsonElement>("/status");
        Assert.Equal("t1", status.GetProperty("nodeId").GetString());
        Assert.Equal("primary", status.GetProperty("role").GetString());
        Assert.Equal(1UL, status.GetProperty("generation").GetUInt64());
        var flushed = status.GetProperty("flushedLsn").GetUInt64();
        Assert.True(flushed > 0);
        Assert.Equal(flushed, status.GetProperty("writtenLsn").GetUInt64());
        Assert.True(status.GetProperty("appliedLsn").GetUInt64() <= flushed);
    }

}
