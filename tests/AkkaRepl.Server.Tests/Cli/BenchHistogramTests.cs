using AkkaRepl.Server.Cli;
using Xunit;

namespace AkkaRepl.Server.Tests.Cli;

/// <summary>Percentiles of known inputs from the load tool's log-linear histogram (no timing involved).</summary>
public class BenchHistogramTests
{
    [Fact]
    public void Empty_histogram_reports_zero()
    {
        var h = new BenchHistogram();
        Assert.Equal(0, h.Count);
        Assert.Equal(0, h.ValueAtPercentile(50));
        Assert.Equal(0, h.ValueAtPercentile(99.9));
    }

    [Fact]
    public void Values_below_128_are_exact()
    {
        var h = new BenchHistogram();
        for (int v = 1; v <= 100; v++) h.Record(v);
        Assert.Equal(100, h.Count);
        Assert.Equal(50, h.ValueAtPercentile(50));
        Assert.Equal(90, h.ValueAtPercentile(90));
        Assert.Equal(99, h.ValueAtPercentile(99));
        Assert.Equal(100, h.ValueAtPercentile(99.9));
        Assert.Equal(100, h.ValueAtPercentile(100));
        Assert.Equal(1, h.Min);
        Assert.Equal(100, h.Max);
        Assert.Equal(50.5, h.Mean, 6);
    }

    [Fact]
    public void Large_values_are_within_one_sixty_fourth()
    {
        var h = new BenchHistogram();
        for (long v = 1; v <= 1_000_000; v++) h.Record(v);
        foreach (var (p, exact) in new[] { (50.0, 500_000L), (90.0, 900_000L), (99.0, 990_000L), (99.9, 999_000L) })
        {
            long got = h.ValueAtPercentile(p);
            Assert.InRange(got, exact, exact + exact / 64 + 1);
        }
        Assert.Equal(1_000_000, h.ValueAtPercentile(100));
    }

    [Fact]
    public void A_single_outlier_shows_only_at_the_top()
    {
        var h = new BenchHistogram();
        for (int i = 0; i < 999; i++) h.Record(200);
        h.Record(5_000_000);
        long p50 = h.ValueAtPercentile(50);
        Assert.InRange(p50, 200, 203);
        Assert.InRange(h.ValueAtPercentile(99.9), 200, 203);
        Assert.Equal(5_000_000, h.ValueAtPercentile(99.99));
        Assert.Equal(5_000_000, h.Max);
    }

    [Fact]
    public void Merged_histograms_equal_one_fed_with_everything()
    {
        var a = new BenchHistogram();
        var b = new BenchHistogram();
        var all = new BenchHistogram();
        var rng = new Random(5);
        for (int i = 0; i < 10_000; i++)
        {
            long v = rng.NextInt64(0, 10_000_000);
            (i % 2 == 0 ? a : b).Record(v);
            all.Record(v);
        }
        a.Add(b);
        Assert.Equal(all.Count, a.Count);
        Assert.Equal(all.Min, a.Min);
        Assert.Equal(all.Max, a.Max);
        foreach (var p in new[] { 1.0, 50, 90, 99, 99.9 }) Assert.Equal(all.ValueAtPercentile(p), a.ValueAtPercentile(p));
    }

    [Fact]
    public void Bucket_bounds_are_contiguous_and_contain_their_values()
    {
        for (int i = 1; i < 3000; i++)
            Assert.Equal(BenchHistogram.HighestIn(i - 1) + 1, BenchHistogram.LowestIn(i));
        foreach (var v in new long[] { 0, 1, 127, 128, 129, 255, 256, 1000, 123_456_789, long.MaxValue / 2 })
        {
            int index = BenchHistogram.IndexOf(v);
            Assert.InRange(v, BenchHistogram.LowestIn(index), BenchHistogram.HighestIn(index));
        }
    }

    [Theory]
    [InlineData("set", 100)]
    [InlineData("get", 0)]
    [InlineData("50:50", 50)]
    [InlineData("1:3", 25)]
    public void Mix_parses(string mix, int setPercent) => Assert.Equal(setPercent, BenchResp.ParseMix(mix));

    [Theory]
    [InlineData("1GiB", 1L << 30)]
    [InlineData("512MiB", 512L << 20)]
    [InlineData("4096", 4096L)]
    public void Sizes_parse(string text, long bytes) => Assert.Equal(bytes, BenchCommand.ParseSize(text));
}
