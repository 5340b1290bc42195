using AkkaRepl.Core.Ids;
using AkkaRepl.Wal;
using AkkaRepl.Wal.Format;
using BenchmarkDotNet.Attributes;

namespace AkkaRepl.Benchmarks;

/// <summary>One WAL record: encode into a buffer, decode with a copied payload, decode in place, check only.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class WalCodecBenchmarks
{
    private byte[] _payload = [];
    private byte[] _buffer = [];
    private byte[] _encoded = [];

    [ParamsSource(nameof(Sizes))]
    public Bytes Payload { get; set; }

    public static IEnumerable<Bytes> Sizes => [new(100), new(4096)];

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[Payload.Value];
        new Random(1).NextBytes(_payload);
        _buffer = new byte[WalRecordCodec.EncodedSize(_payload.Length)];
        _encoded = WalRecordCodec.Encode(new Lsn(4096), Generation.First, 1_700_000_000_000_000, WalRecordKind.Command, _payload);
    }

    [Benchmark]
    public int Encode() => WalRecordCodec.Encode(_buffer, new Lsn(4096), Generation.First, 1_700_000_000_000_000, WalRecordKind.Command, _payload);

    [Benchmark]
    public int DecodeCopy()
    {
        WalRecordCodec.TryDecode(_encoded, out var record, out var consumed);
        return consumed + record.Payload.Length;
    }

    [Benchmark]
    public int DecodeInPlace()
    {
        WalRecordCodec.TryDecodeInPlace(_encoded, out var record, out var consumed);
        return consumed + record.Payload.Length;
    }

    [Benchmark]
    public int CheckOnly()
    {
        WalRecordCodec.Check(_encoded, out var consumed);
        return consumed;
    }
}
