using System.Reflection;
using AkkaRepl.Wal.Format;
using BenchmarkDotNet.Attributes;

namespace AkkaRepl.Benchmarks;

/// <summary>
/// CRC32C: <see cref="Crc32C.Compute"/> (SSE4.2/ARM CRC32 when <see cref="Crc32C.IsHardwareAccelerated"/>) against the
/// table-driven software path. <c>Crc32C.UpdateSoftware</c> is internal (no InternalsVisibleTo for this project),
/// so it is reached through a delegate bound once by reflection: no per-call reflection cost.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class Crc32CBenchmarks
{
    private delegate uint Update(uint state, ReadOnlySpan<byte> data);

    private static readonly Update Software = typeof(Crc32C)
        .GetMethod("UpdateSoftware", BindingFlags.Static | BindingFlags.NonPublic)!
        .CreateDelegate<Update>();

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
