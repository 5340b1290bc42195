using AkkaRepl.Core.Io;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Storage.Snapshots;
using AkkaRepl.Storage.StateMachine;
using AkkaRepl.Storage.Tests.Kv;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Storage.Tests.Snapshots;

public sealed class SnapshotStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "akkarepl-snap-" + Guid.NewGuid().ToString("N"));
    private readonly ListLogger<SnapshotStore> _log = new();

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private SnapshotStore NewStore(int retain = 2) => new(_dir, new SnapshotOptions { Retain = retain }, _log);

    private static KvHarness Filled(int keys)
    {
        var kv = new KvHarness();
        for (var i = 0; i < keys; i++) kv.Write("SET", "key" + i, "value" + i);
        kv.Write("DEL", "key0");
        return kv;
    }

    [Fact(Timeout = 30_000)]
    public async Task A_snapshot_round_trips_the_whole_state()
    {
        await Task.Yield();
        var kv = Filled(100);
        var info = NewStore().Write(kv.Store.CaptureImage());
        Assert.Equal(kv.Store.AppliedLsn, info.Lsn);
        Assert.Equal($"snapshot-{kv.Store.AppliedLsn.Value:D20}.snap", Path.GetFileName(info.Path));

        var restored = new KvStore();
        Assert.Equal(kv.Store.AppliedLsn, NewStore().LoadLatest(restored));
        Assert.Equal(KvDeterminismTests.Image(kv.Store), KvDeterminismTests.Image(restored));
        Assert.Equal("\"value42\"", restored.ExecuteRead(KvHarness.Argv("GET", "key42")).ToString());
        Assert.Equal(kv.Store.GetVersion("key0"u8), restored.GetVersion("key0"u8));
    }

    [Fact(Timeout = 30_000)]
    public async Task Loading_reports_the_body_size_and_reads_that_add_up_to_it()
    {
        await Task.Yield();
        var info = NewStore().Write(Filled(500).Store.CaptureImage());
        var sizes = new List<long>();
        long read = 0;
        Assert.Equal(info.Lsn, NewStore().LoadLatest(new KvStore(), sizes.Add, n => read += n));
        var body = Assert.Single(sizes);
        Assert.InRange(body, 1, info.SizeBytes - 1); // the header is not counted: it is checked, not restored
        Assert.Equal(body, read);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_corrupt_newest_snapshot_falls_back_to_the_previous_one_with_a_warning()
    {
        await Task.Yield();
        var kv = Filled(10);
        var store = NewStore();
        var older = store.Write(kv.Store.CaptureImage());
        kv.Write("SET", "later", "x");
        var newer = store.Write(kv.Store.CaptureImage());
        var bytes = File.ReadAllBytes(newer.Path);
        bytes[^3] ^= 0xFF; // a flipped bit in the body
        File.WriteAllBytes(newer.Path, bytes);

        var restored = new KvStore();
        Assert.Equal(older.Lsn, NewStore().LoadLatest(restored));
        Assert.True(restored.ExecuteRead(KvHarness.Argv("GET", "later")).IsNil);
        Assert.Contains(_log.Lines, l => l.Level == LogLevel.Warning &&
            l.Message == $"Snapshot {newer.Path} is corrupt and is skipped (its body checksum does not match); trying the previous one");
    }

    [Fact(Timeout = 30_000)]
    public async Task With_every_snapshot_corrupt_load_returns_none_so_the_log_is_replayed()
    {
        await Task.Yield();
        var info = NewStore().Write(Filled(3).Store.CaptureImage());
        File.WriteAllBytes(info.Path, new byte[10]);
        Assert.Null(NewStore().LoadLatest(new KvStore()));
        Assert.Contains(_log.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("it is shorter than its header"));
    }

    [Fact(Timeout = 30_000)]
    public async Task Only_the_configured_number_of_snapshots_is_kept()
    {
        await Task.Yield();
        var kv = new KvHarness();
        var store = NewStore(retain: 2);
        var written = new List<SnapshotInfo>();
        for (var i = 0; i < 4; i++)
        {
            kv.Write("SET", "k", i.ToString());
            written.Add(store.Write(kv.Store.CaptureImage()));
        }
        Assert.Equal([written[3].Lsn, written[2].Lsn], store.List().Select(s => s.Lsn));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_failed_write_leaves_no_partial_snapshot_visible()
    {
        await Task.Yield();
        var store = NewStore();
        var error = Assert.Throws<StorageUnavailableException>(() => store.Write(new FailingImage()));
        Assert.EndsWith("disk full (simulated)", error.Message);
        Assert.Empty(Directory.GetFiles(_dir));
        Assert.Null(NewStore().LoadLatest(new KvStore()));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_temp_file_left_by_a_crash_is_ignored_and_deleted()
    {
        await Task.Yield();
        Directory.CreateDirectory(_dir);
        var temp = Path.Combine(_dir, "snapshot-00000000000000000100.snap.tmp");
        File.WriteAllBytes(temp, new byte[100]);
        Assert.Null(NewStore().LoadLatest(new KvStore()));
        Assert.False(File.Exists(temp));
    }

    [Fact(Timeout = 30_000)]
    public async Task Crc32c_matches_the_standard_check_value()
    {
        await Task.Yield();
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(Crc32C.Compute("123456789"u8), Crc32C.Append(Crc32C.Compute("1234"u8), "56789"u8));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_retain_below_one_is_refused_with_the_key_name()
    {
        await Task.Yield();
        var error = Assert.Throws<ConfigException>(() => NewStore(retain: 0));
        Assert.StartsWith("akkarepl.snapshot.retain is 0", error.Message);
    }

    private sealed class FailingImage : IStateImage
    {
        public Lsn Lsn => new(77);
        public void WriteTo(Stream destination)
        {
            destination.Write(new byte[1000]);
            throw new IOException("disk full (simulated)");
        }
    }
}
