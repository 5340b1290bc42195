using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Storage.Tests.Kv;

public class KvDeterminismTests
{
    private static readonly string[] Keys = ["a", "b", "c", "d", "e", "n"];

    /// <summary>A seeded random workload of writes and transactions, as payloads.</summary>
    internal static List<byte[]> Workload(int seed, int count, KvHarness watcher)
    {
        var random = new Random(seed);
        var payloads = new List<byte[]>();
        for (var i = 0; i < count; i++)
        {
            string K() => Keys[random.Next(Keys.Length)];
            string[] Command() => random.Next(11) switch
            {
                8 => ["SETNX", K(), "s"],
                9 => ["GETSET", K(), "g"],
                10 => ["GETDEL", K()],
                0 => ["SET", K(), random.Next(100).ToString()],
                1 => ["DEL", K(), K()],
                2 => ["INCR", K()],
                3 => ["APPEND", K(), "x"],
                4 => ["MSET", K(), "1", K(), "2"],
                5 => ["SET", K(), "v", random.Next(2) == 0 ? "NX" : "XX"],
                6 => ["DECRBY", K(), random.Next(-5, 5).ToString()],
                _ => ["FLUSHALL"],
            };
            byte[] payload;
            if (random.Next(4) == 0)
            {
                var watches = new[] { watcher.Watch(K()) };
                var commands = Enumerable.Range(0, random.Next(1, 4))
                    .Select(_ => (IReadOnlyList<ReadOnlyMemory<byte>>)KvHarness.Argv(Command())).ToList();
                payload = KvStore.EncodeTransaction(commands, watches);
            }
            else payload = KvStore.EncodeCommand(KvHarness.Argv(Command()));
            watcher.ApplyPayload(payload);
            payloads.Add(payload);
        }
        return payloads;
    }

    internal static byte[] Image(KvStore store)
    {
        using var stream = new MemoryStream();
        store.CaptureImage().WriteTo(stream);
        return stream.ToArray();
    }

    [Fact(Timeout = 30_000)]
    public async Task Two_stores_given_the_same_entries_end_equal_with_the_same_replies()
    {
        await Task.Yield();
        var seed = Environment.TickCount;
        var first = new KvHarness(new KvStore(maxTombstones: 3));
        var payloads = Workload(seed, 2_000, first);
        var second = new KvHarness(new KvStore(maxTombstones: 3));
        var third = new KvHarness(new KvStore(maxTombstones: 3));
        foreach (var p in payloads)
            Assert.True(second.ApplyPayload(p).ToString() == third.ApplyPayload(p).ToString(), $"seed {seed}");
        Assert.True(Image(first.Store).AsSpan().SequenceEqual(Image(second.Store)), $"images differ, seed {seed}");
    }

    [Fact(Timeout = 30_000)]
    public async Task A_store_restored_from_an_image_midway_continues_exactly_like_one_that_replayed_everything()
    {
        await Task.Yield();
        var seed = Environment.TickCount;
        var source = new KvHarness(new KvStore(maxTombstones: 3));
        var payloads = Workload(seed, 1_000, source);
        var replayed = new KvHarness(new KvStore(maxTombstones: 3));
        foreach (var p in payloads.Take(500)) replayed.ApplyPayload(p);
        var restoredStore = new KvStore(maxTombstones: 3);
        restoredStore.Restore(new MemoryStream(Image(replayed.Store)));
        var restored = new KvHarness(restoredStore);
        Assert.Equal(replayed.Next, restored.Next);
        foreach (var p in payloads.Skip(500))
            Assert.True(replayed.ApplyPayload(p).ToString() == restored.ApplyPayload(p).ToString(), $"seed {seed}");
        Assert.True(Image(replayed.Store).AsSpan().SequenceEqual(Image(restored.Store)), $"images differ, seed {seed}");
    }

    [Fact(Timeout = 30_000)]
    public async Task An_image_keeps_the_state_of_its_lsn_while_later_writes_change_every_shard()
    {
        await Task.Yield();
        var seed = Environment.TickCount;
        var kv = new KvHarness(new KvStore(maxTombstones: 50));
        Workload(seed, 1_500, kv);
        var atCapture = Image(kv.Store);
        var image = kv.Store.CaptureImage();
        Workload(seed + 1, 1_500, kv); // overwrites, deletes, flushes: touches shards the image shares
        for (var i = 0; i < 2_000; i++) kv.Write("SET", "spread" + i, "x");
        using var later = new MemoryStream();
        image.WriteTo(later);
        Assert.True(atCapture.AsSpan().SequenceEqual(later.ToArray()), $"the image changed after capture, seed {seed}");
        Assert.NotEqual(atCapture, Image(kv.Store));
    }
}
