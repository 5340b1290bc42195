using System.Buffers;
using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Wal;
using AkkaRepl.Wal.Format;
using BenchmarkDotNet.Attributes;

namespace AkkaRepl.Benchmarks;

/// <summary>Replication frames: a Records frame carrying N encoded 100-byte WAL records, and an Ack.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class FrameCodecBenchmarks
{
    private RecordsFrame _records = null!;
    private AckFrame _ack = null!;
    private byte[] _recordsBytes = [];
    private byte[] _ackBytes = [];
    private ArrayBufferWriter<byte> _writer = null!;

    [Params(1, 64)]
    public int Records { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var payload = new byte[100];
        new Random(3).NextBytes(payload);
        var size = WalRecordCodec.EncodedSize(payload.Length);
        var encoded = new byte[size * Records];
        for (int i = 0; i < Records; i++)
            WalRecordCodec.Encode(encoded.AsSpan(i * size), new Lsn((ulong)(i * size)), Generation.First, 1_700_000_000_000_000, WalRecordKind.Command, payload);
        _records = new RecordsFrame(Generation.First, Lsn.Zero, new Lsn((ulong)encoded.Length), encoded);
        _ack = new AckFrame(Generation.First, new Lsn(1000), new Lsn(900), new Lsn(800));
        _recordsBytes = FrameCodec.ToBytes(_records);
        _ackBytes = FrameCodec.ToBytes(_ack);
        _writer = new ArrayBufferWriter<byte>(_recordsBytes.Length * 2);
    }

    [Benchmark]
    public int WriteRecords()
    {
        _writer.ResetWrittenCount();
        FrameCodec.Write(_writer, _records);
        return _writer.WrittenCount;
    }

    [Benchmark]
    public int ReadRecords()
    {
        var buffer = new ReadOnlySequence<byte>(_recordsBytes);
        FrameCodec.TryRead(ref buffer, 16 << 20, out var frame);
        var records = (RecordsFrame)frame;
        var length = records.EncodedRecords.Length;
        records.Release(); // as the receiver does once the WAL copied the bytes
        return length;
    }

    [Benchmark]
    public int WriteAck()
    {
        _writer.ResetWrittenCount();
        FrameCodec.Write(_writer, _ack);
        return _writer.WrittenCount;
    }

    [Benchmark]
    public ulong ReadAck()
    {
        var buffer = new ReadOnlySequence<byte>(_ackBytes);
        FrameCodec.TryRead(ref buffer, 16 << 20, out var frame);
        return ((AckFrame)frame).FlushLsn.Value;
    }
}
