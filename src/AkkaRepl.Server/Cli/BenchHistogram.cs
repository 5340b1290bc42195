using System.Numerics;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// A small HDR-style log-linear histogram of non-negative integer values (the load tool records microseconds).
/// Values below 128 each have their own bucket (exact); above, every power of two is split into 64 equal
/// buckets, so a reported value is at most 1/64 (1.6 %) above the true one. Fixed size (3,712 counters), no
/// allocation per recorded value. Not thread-safe: one per client, merged at the end.
/// </summary>
internal sealed class BenchHistogram
{
    private const int LinearBits = 7;
    private const int Linear = 1 << LinearBits;      // 128 exact buckets
    private const int Half = Linear / 2;             // 64 buckets per power of two above
    private const int BucketCount = (64 - LinearBits + 1) * Half + Linear;

    private readonly long[] _counts = new long[BucketCount];

    public long Count { get; private set; }
    public long Min { get; private set; } = long.MaxValue;
    public long Max { get; private set; }
    private double _sum;

    public double Mean => Count == 0 ? 0 : _sum / Count;

    public void Record(long value)
    {
        if (value < 0) value = 0;
        _counts[IndexOf(value)]++;
        Count++;
        _sum += value;
        if (value < Min) Min = value;
        if (value > Max) Max = value;
    }

    public void Add(BenchHistogram other)
    {
        for (int i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
        Count += other.Count;
        _sum += other._sum;
        if (other.Count > 0)
        {
            Min = Math.Min(Min, other.Min);
            Max = Math.Max(Max, other.Max);
        }
    }

    /// <summary>
    /// The smallest recorded value's bucket bound such that at least <paramref name="percentile"/> % of the
    /// values are at or below it (the bucket's highest value, capped at the recorded maximum); 0 when empty.
    /// </summary>
    public long ValueAtPercentile(double percentile)
    {
        if (Count == 0) return 0;
        if (percentile >= 100) return Max;
        long target = Math.Max(1, (long)Math.Ceiling(percentile / 100.0 * Count - 1e-9)); // 99.9 % of 1000 is 999, not 999.0000000001
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= target) return Math.Min(Max, Math.Max(Min, HighestIn(i)));
        }
        return Max;
    }

    internal static int IndexOf(long value)
    {
        if (value < Linear) return (int)value;
        int shift = BitOperations.Log2((ulong)value) - (LinearBits - 1);   // >= 1
        return shift * Half + (int)(value >> shift);                        // value >> shift is in [64, 127]
    }

    internal static long LowestIn(int index)
    {
        if (index < Linear) return index;
        int shift = index / Half - 1;
        long mantissa = index % Half + Half;
        return mantissa << shift;
    }

    internal static long HighestIn(int index)
    {
        if (index < Linear) return index;
        int shift = index / Half - 1;
        long mantissa = index % Half + Half;
        return shift >= 56 ? long.MaxValue : ((mantissa + 1) << shift) - 1;
    }
}
