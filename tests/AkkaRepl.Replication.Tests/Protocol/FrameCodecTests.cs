using AkkaRepl.Core.Io;
using System.Buffers;
using System.Buffers.Binary;
using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Protocol;

namespace AkkaRepl.Replication.Tests.Protocol;

public sealed class FrameCodecTests
{
    private const int Max = 1 << 20;

    public static TheoryData<Frame> Samples() => new()
    {
        new HelloFrame(FrameCodec.ProtocolVersion, "cluster-a", new NodeId("n2"), new Generation(7), new Lsn(123456),
            [new(new Generation(1), new Lsn(0)), new(new Generation(6), new Lsn(4096))]),
        new WelcomeFrame(FrameCodec.ProtocolVersion, "cluster-a", new NodeId("n1"), new Generation(7), new Lsn(4096), CatchUpMode.Rebuild),
        new RefuseFrame(RefuseReason.ClusterId, "cluster id 'b' is not 'a'"),
        new AckFrame(new Generation(3), new Lsn(10), new Lsn(9), new Lsn(8)),
        new HeartbeatFrame(new Generation(3), new Lsn(1000), new Lsn(900), 1_700_000_000_000_000),
        new HelloFrame(FrameCodec.ProtocolVersion, "c", new NodeId("n3"), new Generation(2), Lsn.Zero, [], WantsRebuild: true),
        new SnapshotBeginFrame(new Generation(4), new Lsn(8192), 123_456_789, [new(new Generation(1), new Lsn(0)), new(new Generation(4), new Lsn(4096))]),
        new SnapshotChunkFrame(1 << 20, new byte[] { 1, 2, 3, 4, 5 }),
        new SnapshotEndFrame(0xE3069283),
        new HelloFrame(FrameCodec.ProtocolVersion, "c", new NodeId("n3"), new Generation(2), new Lsn(77), [], ReadsArchive: true),
        new WelcomeFrame(FrameCodec.ProtocolVersion, "c", new NodeId("n1"), new Generation(2), new Lsn(77), CatchUpMode.FromArchive),
        new ArchiveHintFrame(new Lsn(65536), [new(new Generation(1), new Lsn(0)), new(new Generation(2), new Lsn(4096))]),
        new ReadIndexFrame(new Generation(5), 42),
        new ReadIndexAckFrame(new Generation(6), ulong.MaxValue),
    };

    [Theory(Timeout = 10_000)]
    [MemberData(nameof(Samples))]
    public async Task Every_frame_round_trips_exactly(Frame frame)
    {
        await Task.Yield();
        var bytes = FrameCodec.ToBytes(frame);
        var seq = new ReadOnlySequence<byte>(bytes);
        Assert.True(FrameCodec.TryRead(ref seq, Max, out var back));
        Assert.Equal(frame, back);
        Assert.Equal(0, seq.Length);
    }

    [Theory(Timeout = 10_000)]
    [MemberData(nameof(Samples))]
    public async Task Every_frame_round_trips_when_split_over_pipe_segments(Frame frame)
    {
        await Task.Yield();
        var bytes = FrameCodec.ToBytes(frame);
        for (var cut = 1; cut < bytes.Length; cut += Math.Max(1, bytes.Length / 7))
        {
            var seq = Segments(bytes, cut, Math.Min(bytes.Length, cut + 5));
            Assert.True(FrameCodec.TryRead(ref seq, Max, out var back), $"cut at {cut}");
            Assert.Equal(frame, back);
            Assert.Equal(0, seq.Length);
        }
    }

    [Fact(Timeout = 10_000)]
    public async Task A_decoded_records_frame_keeps_its_bytes_after_the_read_buffer_is_reused_until_released()
    {
        await Task.Yield();
        var payload = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var wire = FrameCodec.ToBytes(new RecordsFrame(new Generation(2), new Lsn(500), new Lsn(400), payload));
        var seq = new ReadOnlySequence<byte>(wire);
        Assert.True(FrameCodec.TryRead(ref seq, Max, out var back));
        Array.Clear(wire); // the pipe reuses its buffers: the frame must not point into them
        var records = Assert.IsType<RecordsFrame>(back);
        Assert.Equal(payload, records.EncodedRecords.ToArray());
        records.Release();
        records.Release(); // a second release is a no-op, never a double return to the pool
    }

    private static ReadOnlySequence<byte> Segments(byte[] bytes, params int[] cuts)
    {
        var first = new Segment(bytes.AsMemory(0, cuts[0]), 0);
        var last = first;
        var at = cuts[0];
        foreach (var cut in cuts.Skip(1).Append(bytes.Length))
        {
            if (cut <= at) continue;
            last = last.Append(bytes.AsMemory(at, cut - at));
            at = cut;
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex) { Memory = memory; RunningIndex = runningIndex; }
        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    [Fact(Timeout = 10_000)]
    public async Task Records_frame_carries_its_bytes_unchanged()
    {
        await Task.Yield();
        var payload = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var frame = new RecordsFrame(new Generation(2), new Lsn(500), new Lsn(400), payload);
        var seq = new ReadOnlySequence<byte>(FrameCodec.ToBytes(frame));
        Assert.True(FrameCodec.TryRead(ref seq, Max, out var back));
        var records = Assert.IsType<RecordsFrame>(back);
        Assert.Equal(payload, records.EncodedRecords.ToArray());
        Assert.Equal(new Lsn(800), records.EndLsn);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_frame_split_anywhere_is_read_only_once_complete()
    {
        await Task.Yield();
        var bytes = FrameCodec.ToBytes(new AckFrame(new Generation(1), new Lsn(5), new Lsn(5), new Lsn(4)));
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            var partial = new ReadOnlySequence<byte>(bytes.AsMemory(0, cut));
            Assert.False(FrameCodec.TryRead(ref partial, Max, out _), $"cut at {cut}");
        }
    }

    [Fact(Timeout = 10_000)]
    public async Task A_flipped_bit_anywhere_is_refused_and_never_decoded()
    {
        await Task.Yield();
        var good = FrameCodec.ToBytes(new RecordsFrame(new Generation(2), new Lsn(0), new Lsn(0), new byte[64]));
        for (var i = 0; i < good.Length; i++)
        {
            var bad = (byte[])good.Clone();
            bad[i] ^= 0x10;
            var seq = new ReadOnlySequence<byte>(bad);
            try
            {
                var read = FrameCodec.TryRead(ref seq, Max, out _);
                // Only a changed length field may look like "need more bytes"; it must never yield a frame.
                Assert.False(read, $"byte {i} flipped, yet a frame was decoded");
                Assert.InRange(i, 0, 3);
            }
            catch (ProtocolException)
            {
                // refused: as it should be
            }
        }
    }

    [Fact(Timeout = 10_000)]
    public async Task Oversized_length_is_refused_with_the_limit_in_the_message()
    {
        await Task.Yield();
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Max + 1);
        var seq = new ReadOnlySequence<byte>(bytes);
        Frame dummy;
        var error = Assert.Throws<ProtocolException>(() => FrameCodec.TryRead(ref seq, Max, out dummy));
        Assert.Equal($"frame length {Max + 1} is outside 1..{Max} bytes", error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task Random_input_never_throws_anything_but_ProtocolException()
    {
        await Task.Yield();
        var seed = Environment.GetEnvironmentVariable("AKKAREPL_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();
        var random = new Random(seed);
        for (var round = 0; round < 20_000; round++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            if (bytes.Length >= 4 && random.Next(2) == 0)
                BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)random.Next(1, bytes.Length)); // plausible length
            var seq = new ReadOnlySequence<byte>(bytes);
            try { FrameCodec.TryRead(ref seq, Max, out _); }
            catch (ProtocolException) { }
            catch (Exception ex) { Assert.Fail($"seed {seed}, round {round}: {ex.GetType().Name}: {ex.Message}"); }
        }
    }

    [Fact(Timeout = 10_000)]
    public async Task Random_bodies_with_valid_checksums_never_throw_anything_but_ProtocolException()
    {
        await Task.Yield();
        var seed = Environment.GetEnvironmentVariable("AKKAREPL_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();
        var random = new Random(seed);
        var decoded = 0;
        for (var round = 0; round < 20_000; round++)
        {
            var content = new byte[random.Next(1, 80)];
            random.NextBytes(content);
            content[0] = (byte)random.Next(0, 9); // mostly known types, some unknown
            var frame = new byte[FrameCodec.HeaderBytes + content.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)content.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), AkkaRepl.Core.Io.Crc32C.Compute(content));
            content.CopyTo(frame, FrameCodec.HeaderBytes);
            var seq = new ReadOnlySequence<byte>(frame);
            try { if (FrameCodec.TryRead(ref seq, Max, out _)) decoded++; }
            catch (ProtocolException) { }
            catch (Exception ex) { Assert.Fail($"seed {seed}, round {round}: {ex.GetType().Name}: {ex.Message}"); }
        }
        Assert.True(decoded > 0, $"seed {seed}: no random body decoded at all, so the body decoder was not exercised");
    }
}
