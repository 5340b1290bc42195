using System.Globalization;
using System.Text;
using AkkaRepl.Storage.Digest;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Storage.StateMachine;

namespace AkkaRepl.Storage.Tests.Kv;

/// <summary>
/// The store packs small values into shared chunks (<see cref="KvValueArena"/>). What must hold: every value reads
/// back exactly, whatever was written, replaced, appended or deleted around it; a reply or an image taken earlier
/// keeps its bytes while compaction moves values; dead space stays bounded by the live bytes.
/// </summary>
public sealed class KvValueArenaTests
{
    private static int Seed() =>
        Environment.GetEnvironmentVariable("AKKAREPL_SEED") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : 20261124;

    private static string Value(Random random, int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++) chars[i] = (char)('a' + random.Next(26));
        return new string(chars);
    }

    [Fact(Timeout = 60_000)]
    public async Task Cold_values_among_hot_overwrites_are_compacted_and_every_value_reads_back()
    {
        await Task.Yield();
        var seed = Seed();
        var random = new Random(seed);
        var kv = new KvHarness();
        var model = new Dictionary<string, string>();
        long maxExcess = 0;
        // Every 50th write is a cold key never written again; the rest overwrite 100 hot keys. Without compaction each
        // chunk keeps one cold value alive and the whole chunk with it: ~80 MB kept for ~2 MB live.
        for (var i = 0; i < 40_000; i++)
        {
            var key = i % 50 == 0 ? $"cold{i}" : $"hot{random.Next(100)}";
            var value = Value(random, random.Next(1_000, 3_000));
            kv.Write("SET", key, value);
            model[key] = value;
            var arena = kv.Store.Values;
            maxExcess = Math.Max(maxExcess, arena.UsedBytes - arena.LiveBytes - Math.Max(arena.LiveBytes, KvValueArena.SlackBytes));
        }
        var final = kv.Store.Values;
        var live = model.Values.Sum(v => (long)v.Length);
        Assert.True(final.LiveBytes == live, $"seed {seed}: the arena counts {final.LiveBytes} live bytes, the model {live}");
        // A step per record moves one shard; while a cycle runs, at most 256 records' values (3 KB each) pile up.
        Assert.True(maxExcess <= 256 * 3_000 + KvValueArena.ChunkBytes,
            $"seed {seed}: dead space exceeded its bound by {maxExcess} bytes (used {final.UsedBytes}, live {final.LiveBytes})");
        foreach (var (key, value) in model)
            Assert.True(value == kv.Read("GET", key).ToString().Trim('"'), $"seed {seed}: {key} reads back wrong");
    }

    [Fact(Timeout = 60_000)]
    public async Task Random_sets_appends_increments_and_deletes_of_every_size_read_back_exactly()
    {
        await Task.Yield();
        var seed = Seed();
        var random = new Random(seed);
        var kv = new KvHarness();
        var model = new Dictionary<string, string>();
        for (var i = 0; i < 30_000; i++)
        {
            var key = $"k{random.Next(300)}";
            var op = random.Next(10);
            string? expected;
            if (op < 5) // sizes across the packed limit and empty
            {
                const int limit = KvValueArena.MaxPackedBytes; // sizes on both sides of it
                var length = random.Next(4) switch { 0 => 0, 1 => random.Next(1, 64), 2 => random.Next(64, limit + 1), _ => random.Next(limit - 8, limit * 2) };
                var value = Value(random, length);
                kv.Write("SET", key, value);
                model[key] = value;
            }
            else if (op < 7)
            {
                var suffix = Value(random, random.Next(0, 3_000));
                var reply = kv.Write("APPEND", key, suffix);
                model[key] = (model.GetValueOrDefault(key) ?? "") + suffix;
                Assert.True(model[key].Length == reply.Integer, $"seed {seed} op {i}: APPEND answered {reply}");
            }
            else if (op < 8)
            {
                var n = random.Next(1000);
                kv.Write("SET", key, n.ToString(CultureInfo.InvariantCulture));
                kv.Write("INCRBY", key, "5");
                model[key] = (n + 5).ToString(CultureInfo.InvariantCulture);
            }
            else
            {
                kv.Write("DEL", key);
                model.Remove(key);
            }
            expected = model.GetValueOrDefault(key);
            var got = kv.Read("GET", key);
            Assert.True(expected is null ? got.IsNil : !got.IsNil && Encoding.UTF8.GetString(got.BulkMemory.Span) == expected,
                $"seed {seed} op {i}: {key} reads {got}, expected {(expected is null ? "nil" : expected.Length + " bytes")}");
        }
        Assert.Equal(model.Values.Where(v => v.Length <= KvValueArena.MaxPackedBytes).Sum(v => (long)v.Length), kv.Store.Values.LiveBytes);
        foreach (var (key, value) in model) Assert.Equal(value, Encoding.UTF8.GetString(kv.Read("GET", key).BulkMemory.Span));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_reply_and_an_image_taken_before_compaction_keep_their_bytes()
    {
        await Task.Yield();
        var random = new Random(Seed());
        var kv = new KvHarness();
        for (var i = 0; i < 200; i++) kv.Write("SET", $"cold{i}", Value(random, 2_000));
        kv.Write("SET", "k", "the value a reader got");
        var reply = kv.Read("GET", "k");
        var image = kv.Store.CaptureImage();
        var digestBefore = StateDigest.Compute(image).Root;
        var imageBytes = new MemoryStream();
        image.WriteTo(imageBytes);

        // Overwrite hot keys among new cold ones (which pin their chunks) until compaction has moved values.
        kv.Write("SET", "k", "changed");
        for (var i = 0; i < 20_000; i++) kv.Write("SET", i % 25 == 0 ? $"more{i}" : $"hot{i % 50}", Value(random, 2_500));
        Assert.True(kv.Store.Values.UsedBytes < 40L * 1024 * 1024, $"compaction ran: {kv.Store.Values.UsedBytes} bytes kept");

        Assert.Equal("\"the value a reader got\"", reply.ToString());
        Assert.Equal(digestBefore, StateDigest.Compute(image).Root);
        var again = new MemoryStream();
        image.WriteTo(again);
        Assert.Equal(imageBytes.ToArray(), again.ToArray());
        var restored = new KvStore();
        restored.Restore(new MemoryStream(again.ToArray()));
        Assert.Equal("\"the value a reader got\"", restored.ExecuteRead(KvHarness.Argv("GET", "k")).ToString());
    }

    /// <summary>APPEND of a large value writes into room at the end of its array (KvValueArena.Append). Copying the whole
    /// value on every APPEND, as before, allocated ~8 GiB here (4,096 appends of 1 KiB); the room is written only past
    /// the end of what earlier readers hold.</summary>
    [Fact(Timeout = 60_000)]
    public async Task Appends_build_a_large_value_without_copying_it_each_time_and_earlier_replies_and_images_keep_their_bytes()
    {
        await Task.Yield();
        var seed = Seed();
        var random = new Random(seed);
        var kv = new KvHarness();
        var expected = new StringBuilder();
        KvReply? reply = null;
        string? replyValue = null;
        IStateImage? image = null;
        string? imageDigest = null;
        long allocated = 0;
        for (var i = 0; i < 4_096; i++)
        {
            var piece = Value(random, 1_024);
            expected.Append(piece);
            var before = GC.GetAllocatedBytesForCurrentThread();
            var length = kv.Write("APPEND", "log", piece);
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal($":{expected.Length}", length.ToString());
            if (i == 100)
            {
                // Held while the value grows on: both must keep what they saw.
                reply = kv.Read("GET", "log");
                replyValue = expected.ToString();
                image = kv.Store.CaptureImage();
                imageDigest = StateDigest.Compute(image).Root;
            }
        }
        Assert.Equal(expected.ToString(), Encoding.UTF8.GetString(kv.Read("GET", "log").BulkMemory.Span));
        Assert.True(allocated < 128L * 1024 * 1024, $"seed {seed}: 4 MiB built by appends allocated {allocated:N0} bytes");
        Assert.Equal(replyValue, Encoding.UTF8.GetString(reply!.BulkMemory.Span));
        Assert.Equal(imageDigest, StateDigest.Compute(image!).Root);
        var bytes = new MemoryStream();
        image!.WriteTo(bytes);
        var restored = new KvStore();
        restored.Restore(new MemoryStream(bytes.ToArray()));
        Assert.Equal(replyValue, Encoding.UTF8.GetString(restored.ExecuteRead(KvHarness.Argv("GET", "log")).BulkMemory.Span));
        // A SET replaces the value with an exact copy; an APPEND after it starts over from there.
        kv.Write("SET", "log", "short");
        kv.Write("APPEND", "log", Value(random, 20_000));
        Assert.Equal(20_005, kv.Read("GET", "log").BulkMemory.Length);
        Assert.Equal(replyValue, Encoding.UTF8.GetString(reply.BulkMemory.Span));
    }

    [Fact(Timeout = 30_000)]
    public async Task Restoring_an_image_lets_the_old_chunks_go_and_later_writes_count_from_zero()
    {
        await Task.Yield();
        var random = new Random(Seed());
        var source = new KvHarness();
        source.Write("SET", "kept", "from the image");
        var image = new MemoryStream();
        source.Store.CaptureImage().WriteTo(image);

        var kv = new KvHarness();
        for (var i = 0; i < 5_000; i++) kv.Write("SET", $"old{i}", Value(random, 2_000));
        Assert.True(kv.Store.Values.ChunkCount > 0);
        kv.Store.Restore(new MemoryStream(image.ToArray()));
        // The arena of the state before the restore must not stay: its chunks would be kept, and its counts would
        // make every later record look for values to move that no longer exist.
        Assert.Equal(0, kv.Store.Values.ChunkCount);
        Assert.Equal(0, kv.Store.Values.LiveBytes);
        Assert.False(kv.Store.Values.NeedsCompaction);
        Assert.Equal("\"from the image\"", kv.Read("GET", "kept").ToString());
        Assert.True(kv.Read("GET", "old1").IsNil);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_empty_value_is_an_empty_string_not_nil()
    {
        await Task.Yield();
        var kv = new KvHarness();
        kv.Write("SET", "e", "");
        Assert.False(kv.Read("GET", "e").IsNil);
        Assert.Equal(0, kv.Read("GET", "e").BulkLength);
        Assert.Equal("\"\"", kv.Read("GET", "e").ToString());
        Assert.Equal(3, kv.Write("APPEND", "e", "abc").Integer);
        Assert.Equal("\"abc\"", kv.Read("GET", "e").ToString());
        Assert.True(kv.Read("GET", "none").IsNil);
    }
}
