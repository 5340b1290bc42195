using System.Diagnostics.Metrics;
using AkkaRepl.Server.Metrics;

namespace AkkaRepl.Server.Tests.Metrics;

public sealed class PrometheusExporterTests
{
    [Fact(Timeout = 10_000)]
    public async Task Counters_gauges_and_histograms_are_written_in_the_exposition_format_with_units_in_their_names()
    {
        await Task.Yield();
        using var meter = new Meter("AkkaRepl");
        using var exporter = new PrometheusExporter(meter);
        var counter = meter.CreateCounter<long>("akkarepl.test.things", "{thing}", "Things.");
        var histogram = meter.CreateHistogram<double>("akkarepl.test.wait.duration", "s", "Waits.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
        meter.CreateObservableGauge("akkarepl.test.size", () => 42L, "By", "Size.");
        counter.Add(2, new KeyValuePair<string, object?>("kind", "a"));
        counter.Add(3, new KeyValuePair<string, object?>("kind", "a"));
        counter.Add(1, new KeyValuePair<string, object?>("kind", "b\"q\\"));
        histogram.Record(0.05);
        histogram.Record(0.1);  // on a bound: counted in le="0.1"
        histogram.Record(5);

        var text = exporter.Scrape();
        var parsed = PrometheusText.Parse(text);

        Assert.Equal("counter", parsed.Types["akkarepl_test_things_total"]);
        Assert.Equal(5, parsed.Value("akkarepl_test_things_total", ("kind", "a")));
        Assert.Equal(1, parsed.Value("akkarepl_test_things_total", ("kind", "b\"q\\")));
        Assert.Equal("gauge", parsed.Types["akkarepl_test_size_bytes"]);
        Assert.Equal(42, parsed.Value("akkarepl_test_size_bytes"));
        Assert.Equal("histogram", parsed.Types["akkarepl_test_wait_duration_seconds"]);
        Assert.Equal(2, parsed.Value("akkarepl_test_wait_duration_seconds_bucket", ("le", "0.1")));
        Assert.Equal(2, parsed.Value("akkarepl_test_wait_duration_seconds_bucket", ("le", "1")));
        Assert.Equal(3, parsed.Value("akkarepl_test_wait_duration_seconds_bucket", ("le", "+Inf")));
        Assert.Equal(3, parsed.Value("akkarepl_test_wait_duration_seconds_count"));
        Assert.Equal(5.15, parsed.Value("akkarepl_test_wait_duration_seconds_sum"), 6);
    }

    [Fact(Timeout = 10_000)]
    public async Task Another_meter_of_the_same_name_is_not_exported()
    {
        await Task.Yield();
        using var mine = new Meter("AkkaRepl");
        using var other = new Meter("AkkaRepl");
        using var exporter = new PrometheusExporter(mine);
        other.CreateCounter<long>("akkarepl.other").Add(1);
        mine.CreateCounter<long>("akkarepl.mine").Add(1);
        var parsed = PrometheusText.Parse(exporter.Scrape());
        Assert.True(parsed.Has("akkarepl_mine_total"));
        Assert.False(parsed.Has("akkarepl_other_total"));
    }

    [Fact(Timeout = 10_000)]
    public async Task The_same_tags_in_another_order_are_one_series()
    {
        await Task.Yield();
        using var meter = new Meter("AkkaRepl");
        using var exporter = new PrometheusExporter(meter);
        var histogram = meter.CreateHistogram<double>("akkarepl.test.d", "s");
        histogram.Record(0.001, new("durability", "quorum"), new("outcome", "met"));
        histogram.Record(0.002, new("outcome", "met"), new("durability", "quorum"));
        histogram.Record(0.003, new("durability", "local"), new("outcome", "met"));
        var parsed = PrometheusText.Parse(exporter.Scrape());
        Assert.Equal(2, parsed.Value("akkarepl_test_d_seconds_count", ("durability", "quorum"), ("outcome", "met")));
        Assert.Equal(1, parsed.Value("akkarepl_test_d_seconds_count", ("durability", "local")));
    }

    [Theory(Timeout = 10_000)]
    [InlineData("# TYPE x gauge\nx 1\n", "TYPE before HELP")]
    [InlineData("# HELP x h\n# TYPE x gauge\nx 1\nx 2\n", "repeated series")]
    [InlineData("# HELP x h\n# TYPE x gauge\ny 1\n", "undeclared")]
    [InlineData("# HELP x h\n# TYPE x gauge\nx{a=\"1} 1\n", "bad labels")]
    [InlineData("# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "not cumulative")]
    [InlineData("# HELP h h\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n", "_count")]
    public async Task The_strict_reader_rejects_what_Prometheus_would_reject(string text, string why)
    {
        await Task.Yield();
        var error = Assert.Throws<FormatException>(() => PrometheusText.Parse(text));
        Assert.Contains(why, error.Message);
    }
}
