using AkkaRepl.Core.Io;
using BenchmarkDotNet.Attributes;

namespace AkkaRepl.Benchmarks;

/// <summary>
/// CRC32C: <see cref="Crc32C.Compute"/> (SSE4.2/ARM CRC32 when <see cref="Crc32C.IsHardwareAccelerated"/>) against the
/// table-driven software path (<c>Crc32C.UpdateSoftware</c>, internal, visible to this project).
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class Crc32CBenchmarks
{
    private static uint Software(uint state, ReadOnlySpan<byte> data) => Crc32C.UpdateSoftware(state, data);

    private byte[] _data = [];

    [ParamsSource(nameof(Sizes))]
    public Bytes Size { get; set; }

    public static IEnumerable<Bytes> Sizes => [new(64), new(4096), new(65536)];

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Size.Value];
        new Random(2).NextBytes(_data);
        if (~Software(0xFFFFFFFFu, _data) != Crc32C.Compute(_data)) throw new InvalidOperationException("software and hardware CRC32C disagree");
        Console.WriteLine($"// Crc32C.IsHardwareAccelerated = {Crc32C.IsHardwareAccelerated}");
    }

    [Benchmark(Baseline = true)]
    public uint Hardware() => Crc32C.Compute(_data);

    [Benchmark]
    public uint SoftwareTable() => ~Software(0xFFFFFFFFu, _data);
}
