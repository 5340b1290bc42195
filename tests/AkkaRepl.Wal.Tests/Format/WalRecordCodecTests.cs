using AkkaRepl.Core.Io;
using AkkaRepl.Core.Ids;
using AkkaRepl.Wal.Format;

namespace AkkaRepl.Wal.Tests.Format;

public sealed class WalRecordCodecTests
{
    [Fact(Timeout = 30_000)]
    public async Task Encoded_record_has_the_documented_byte_layout()
    {
        await Task.Yield();
        var bytes = WalRecordCodec.Encode(new Lsn(0x1122), new Generation(7), 0x0102030405060708, WalRecordKind.GenerationStart, [0xAA, 0xBB]);
        Assert.Equal(
            "26000000" + Convert.ToHexString(BitConverter.GetBytes(Crc32C.Compute(bytes.AsSpan(8)))) +
            "0700000000000000" + "2211000000000000" + "0807060504030201" + "02" + "000000" + "AABB",
            Convert.ToHexString(bytes));
    }

    [Fact(Timeout = 30_000)]
    public async Task Round_trip_keeps_every_field()
    {
        await Task.Yield();
        const int seed = 17;
        var random = new Random(seed);
        foreach (int size in new[] { 0, 1, 35, 36, 1000, 70_000 })
        {
            var payload = new byte[size];
            random.NextBytes(payload);
            var lsn = new Lsn((ulong)random.NextInt64());
            var bytes = WalRecordCodec.Encode(lsn, new Generation(3), 1_700_000_000_000_000, WalRecordKind.Command, payload);
            var result = WalRecordCodec.TryDecode(bytes, out var record, out int consumed);
            Assert.Equal(WalDecodeResult.Ok, result);
            Assert.Equal(bytes.Length, consumed);
            Assert.Equal(lsn, record.Lsn);
            Assert.Equal(new Generation(3), record.Generation);
            Assert.Equal(1_700_000_000_000_000, record.CommitTimestampMicros);
            Assert.Equal(WalRecordKind.Command, record.Kind);
            Assert.True(payload.AsSpan().SequenceEqual(record.Payload.Span), $"seed {seed}, size {size}");
            Assert.Equal(bytes.Length, record.TotalBytes);
            Assert.Equal(lsn + (ulong)bytes.Length, record.EndLsn);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Every_strict_prefix_of_a_record_is_incomplete_or_corrupt_never_ok()
    {
        await Task.Yield();
        var bytes = WalRecordCodec.Encode(new Lsn(100), new Generation(1), 5, WalRecordKind.Command, new byte[50]);
        for (int cut = 0; cut < bytes.Length; cut++)
            Assert.Equal(WalDecodeStatus.Incomplete, WalRecordCodec.TryDecode(bytes.AsSpan(0, cut), out _, out _).Status);
    }

    [Fact(Timeout = 30_000)]
    public async Task Random_bytes_never_throw_and_never_decode_to_a_record_with_a_bad_checksum()
    {
        await Task.Yield();
        int seed = Environment.TickCount;
        var random = new Random(seed);
        var valid = WalRecordCodec.Encode(new Lsn(0), new Generation(1), 1, WalRecordKind.Command, new byte[64]);
        for (int i = 0; i < 100_000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 200)];
                random.NextBytes(input);
                if (input.Length >= 36 && random.Next(2) == 0) BitConverter.TryWriteBytes(input, random.Next(36, input.Length + 1));
            }
            else
            {
                // A valid record with 1-3 random bytes changed, then maybe cut.
                input = (byte[])valid.Clone();
                for (int k = random.Next(1, 4); k > 0; k--) input[random.Next(input.Length)] ^= (byte)random.Next(1, 256);
                input = input[..random.Next(0, input.Length + 1)];
            }
            var result = WalRecordCodec.TryDecode(input, out var record, out int consumed);
            if (result.IsOk)
            {
                // Only possible when the changes cancelled out or hit nothing the checksum covers.
                Assert.True(input.AsSpan(0, consumed).SequenceEqual(WalRecordCodec.Encode(record.Lsn, record.Generation,
                    record.CommitTimestampMicros, record.Kind, record.Payload.Span)), $"seed {seed}, iteration {i}");
            }
            else
            {
                Assert.Equal(0, consumed);
                Assert.True(result.Status != WalDecodeStatus.Corrupt || !string.IsNullOrEmpty(result.CorruptReason), $"seed {seed}");
            }
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Corrupt_results_name_the_reason()
    {
        await Task.Yield();
        var bytes = WalRecordCodec.Encode(new Lsn(0), new Generation(1), 1, WalRecordKind.Command, [1, 2, 3]);
        bytes[^1] ^= 0xFF;
        var result = WalRecordCodec.TryDecode(bytes, out _, out _);
        Assert.Equal(WalDecodeStatus.Corrupt, result.Status);
        Assert.StartsWith("checksum mismatch: stored 0x", result.CorruptReason);
        Assert.Equal("record length 12 is below the header size 36",
            WalRecordCodec.TryDecode([12, 0, 0, 0, 0, 0], out _, out _).CorruptReason);
        Assert.Equal(WalDecodeStatus.Corrupt, WalRecordCodec.TryDecode(new byte[64], out _, out _).Status);
    }
}
