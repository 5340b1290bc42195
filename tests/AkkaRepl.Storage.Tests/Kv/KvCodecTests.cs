using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Storage.Tests.Kv;

public class KvCodecTests
{
    private static byte[] RandomBytes(Random random, int max)
    {
        var bytes = new byte[random.Next(max)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static ReadOnlyMemory<byte>[] RandomArgv(Random random) =>
        Enumerable.Range(0, random.Next(1, 6)).Select(_ => (ReadOnlyMemory<byte>)RandomBytes(random, 300)).ToArray();

    private static string Show(IEnumerable<ReadOnlyMemory<byte>> argv) => string.Join("|", argv.Select(a => Convert.ToHexString(a.Span)));

    [Fact(Timeout = 30_000)]
    public async Task Commands_and_transactions_round_trip_through_the_payload()
    {
        await Task.Yield();
        var seed = Environment.TickCount;
        var random = new Random(seed);
        for (var i = 0; i < 500; i++)
        {
            var argv = RandomArgv(random);
            var (commands, watches) = KvCodec.Decode(KvStore.EncodeCommand(argv));
            Assert.True(watches is null && commands.Count == 1 && Show(commands[0]) == Show(argv), $"seed {seed}");

            var queued = Enumerable.Range(0, random.Next(0, 4)).Select(_ => (IReadOnlyList<ReadOnlyMemory<byte>>)RandomArgv(random)).ToList();
            var watched = Enumerable.Range(0, random.Next(0, 4))
                .Select(_ => new KvWatch(RandomBytes(random, 50), new Lsn((ulong)random.NextInt64()))).ToList();
            var (decoded, decodedWatches) = KvCodec.Decode(KvStore.EncodeTransaction(queued, watched));
            Assert.True(decoded.Select(Show).SequenceEqual(queued.Select(Show)), $"seed {seed}");
            Assert.True(decodedWatches!.Select(w => (Convert.ToHexString(w.Key.Span), w.Version))
                .SequenceEqual(watched.Select(w => (Convert.ToHexString(w.Key.Span), w.Version))), $"seed {seed}");
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Every_truncation_of_a_payload_is_refused_as_corrupt()
    {
        await Task.Yield();
        var payload = KvStore.EncodeTransaction(
            [KvHarness.Argv("SET", "k", "v"), KvHarness.Argv("INCR", "n")], [new KvWatch("k"u8.ToArray(), new Lsn(7))]);
        for (var length = 0; length < payload.Length; length++)
            Assert.Throws<StorageCorruptException>(() => KvCodec.Decode(payload.AsMemory(0, length)));
    }

    [Fact(Timeout = 30_000)]
    public async Task Random_bytes_decode_or_are_refused_as_corrupt_and_never_crash_otherwise()
    {
        await Task.Yield();
        var seed = Environment.TickCount;
        var random = new Random(seed);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = RandomBytes(random, 40);
            if (bytes.Length > 0 && random.Next(2) == 0) bytes[0] = KvCodec.FormatVersion;
            if (bytes.Length > 1 && random.Next(2) == 0) bytes[1] = (byte)random.Next(1, 3);
            var error = Record.Exception(() => KvCodec.Decode(bytes));
            Assert.True(error is null or StorageCorruptException, $"seed {seed}, input {Convert.ToHexString(bytes)}: {error}");
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Every_truncation_of_a_snapshot_image_is_refused_as_corrupt()
    {
        await Task.Yield();
        var kv = new KvHarness();
        kv.Write("MSET", "a", "1", "b", "2");
        kv.Write("DEL", "a");
        var image = KvDeterminismTests.Image(kv.Store);
        for (var length = 0; length < image.Length; length++)
            Assert.Throws<StorageCorruptException>(() => new KvStore().Restore(new MemoryStream(image, 0, length)));
        var wrongVersion = (byte[])image.Clone();
        wrongVersion[0] = 2;
        Assert.Equal("key-value snapshot image has format version 2, and this node reads only version 1",
            Assert.Throws<StorageCorruptException>(() => new KvStore().Restore(new MemoryStream(wrongVersion))).Message);
    }
}
