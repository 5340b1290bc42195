using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace AkkaRepl.Server.Metrics;

/// <summary>
/// Serves one <see cref="Meter"/>'s instruments as Prometheus text (exposition format 0.0.4), without a metrics
/// package: a <see cref="MeterListener"/> aggregates counters and histograms as they are recorded, and observable
/// instruments are read at each scrape. Only instruments of the given meter object are listened to, so two nodes in
/// one process never mix figures. Names follow OpenTelemetry's Prometheus mapping: dots become underscores, the unit
/// is appended (<c>By</c> → <c>_bytes</c>, <c>s</c> → <c>_seconds</c>, <c>1</c> → <c>_ratio</c>), and counters end in
/// <c>_total</c>. Histograms are written as <c>_bucket{le=...}</c>, <c>_sum</c> and <c>_count</c>.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>The Content-Type of the text this exporter writes.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly double[] SecondsBuckets =
        [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] CountBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];

    private readonly Meter _meter;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Family> _families = new();
    private readonly object _scrape = new(); // one scrape at a time: observable series are rebuilt per scrape

    public PrometheusExporter(Meter meter)
    {
        _meter = meter;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!ReferenceEquals(instrument.Meter, _meter)) return;
            _families[instrument] = new Family(instrument);
            listener.EnableMeasurementEvents(instrument, this);
        };
        _listener.MeasurementsCompleted = (instrument, _) => _families.TryRemove(instrument, out Family? _);
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    /// <summary>Reads every observable instrument and writes all families as Prometheus text.</summary>
    public string Scrape()
    {
        lock (_scrape)
        {
            foreach (var family in _families.Values.Where(f => f.Instrument.IsObservable)) family.Series.Clear();
            _listener.RecordObservableInstruments();
            var text = new StringBuilder(8192);
            foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
                family.Write(text);
            return text.ToString();
        }
    }

    // Out of Record: a lambda capturing Record's locals would allocate its closure on every call, hot path included.
    private static Series SeriesOf(Family family, string labels) =>
        family.Series.GetOrAdd(labels, static (l, f) => new Series(l, f.Buckets), family);

    private static Series AddSeries(Family family, (string?, object?, string?, object?) key, string labels) =>
        family.ByTags.GetOrAdd(key, static (_, a) => SeriesOf(a.family, a.labels), (family, labels));

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (!_families.TryGetValue(instrument, out var family)) return;
        Series series;
        if (tags.Length <= 2 && !instrument.IsObservable)
        {
            // Hot path (a histogram record per client write): find the series by its tags without building the label
            // text, which is made once per distinct tag set.
            var key = (tags.Length > 0 ? tags[0].Key : null, tags.Length > 0 ? tags[0].Value : null,
                tags.Length > 1 ? tags[1].Key : null, tags.Length > 1 ? tags[1].Value : null);
            if (!family.ByTags.TryGetValue(key, out series!)) series = AddSeries(family, key, Labels(tags));
        }
        else series = SeriesOf(family, Labels(tags));
        lock (series)
        {
            switch (family.Kind)
            {
                case Kind.Histogram:
                    var i = Array.BinarySearch(family.Buckets!, value);
                    series.Counts![i >= 0 ? i : ~i]++; // a value equal to a bound belongs to that bound (le)
                    series.Sum += value;
                    series.Count++;
                    break;
                case Kind.Counter when !instrument.IsObservable:
                    series.Value += value;
                    break;
                default: // gauges, and observable counters (which report their running total)
                    series.Value = value;
                    break;
            }
        }
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var sorted = tags.ToArray();
        Array.Sort(sorted, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var text = new StringBuilder();
        foreach (var (key, value) in sorted)
        {
            text.Append(text.Length == 0 ? "" : ",").Append(Sanitize(key)).Append("=\"");
            foreach (var c in Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")
                text.Append(c switch { '\\' => "\\\\", '"' => "\\\"", '\n' => "\\n", _ => c.ToString() });
            text.Append('"');
        }
        return text.ToString();
    }

    /// <summary>A metric or label name: letters, digits and underscores (dots and dashes become underscores).</summary>
    private static string Sanitize(string name)
    {
        var chars = name.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_').ToArray();
        if (chars.Length > 0 && char.IsAsciiDigit(chars[0])) return "_" + new string(chars);
        return new string(chars);
    }

    private static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : double.IsNaN(value) ? "NaN"
            : value.ToString("R", CultureInfo.InvariantCulture);

    public void Dispose() => _listener.Dispose();

    private enum Kind { Counter, Gauge, Histogram }

    private sealed class Series(string labels, double[]? buckets)
    {
        public readonly string Labels = labels;
        public double Value;
        public readonly long[]? Counts = buckets is null ? null : new long[buckets.Length + 1];
        public double Sum;
        public long Count;
    }

    private sealed class Family
    {
        public Family(Instrument instrument)
        {
            Instrument = instrument;
            var type = instrument.GetType().GetGenericTypeDefinition();
            Kind = type == typeof(Histogram<>) ? Kind.Histogram
                : type == typeof(Counter<>) || type == typeof(ObservableCounter<>) ? Kind.Counter
                : Kind.Gauge; // gauges and up-down counters: values that go both ways
            Name = MetricName(instrument, Kind);
            if (Kind == Kind.Histogram)
                Buckets = (instrument as Histogram<double>)?.Advice?.HistogramBucketBoundaries?.ToArray()
                          ?? (instrument.Unit == "s" ? SecondsBuckets : CountBuckets);
        }

        public Instrument Instrument { get; }
        public Kind Kind { get; }
        public string Name { get; }
        public double[]? Buckets { get; }
        public ConcurrentDictionary<string, Series> Series { get; } = new(StringComparer.Ordinal);
        public ConcurrentDictionary<(string?, object?, string?, object?), Series> ByTags { get; } = new();

        public void Write(StringBuilder text)
        {
            if (Series.IsEmpty) return;
            var help = (Instrument.Description ?? Instrument.Name).Replace("\\", "\\\\").Replace("\n", "\\n");
            text.Append("# HELP ").Append(Name).Append(' ').Append(help).Append('\n');
            text.Append("# TYPE ").Append(Name).Append(' ').Append(Kind switch
            {
                Kind.Counter => "counter", Kind.Histogram => "histogram", _ => "gauge",
            }).Append('\n');
            foreach (var series in Series.Values.OrderBy(s => s.Labels, StringComparer.Ordinal))
            {
                lock (series)
                {
                    if (Kind != Kind.Histogram)
                    {
                        Sample(text, Name, series.Labels, null, series.Value);
                        continue;
                    }
                    long cumulative = 0;
                    for (var i = 0; i <= Buckets!.Length; i++)
                    {
                        cumulative += series.Counts![i];
                        Sample(text, Name + "_bucket", series.Labels, i < Buckets.Length ? Number(Buckets[i]) : "+Inf", cumulative);
                    }
                    Sample(text, Name + "_sum", series.Labels, null, series.Sum);
                    Sample(text, Name + "_count", series.Labels, null, series.Count);
                }
            }
        }

        private static void Sample(StringBuilder text, string name, string labels, string? le, double value)
        {
            text.Append(name);
            if (labels.Length > 0 || le is not null)
            {
                text.Append('{').Append(labels);
                if (le is not null) text.Append(labels.Length > 0 ? "," : "").Append("le=\"").Append(le).Append('"');
                text.Append('}');
            }
            text.Append(' ').Append(Number(value)).Append('\n');
        }

        private static string MetricName(Instrument instrument, Kind kind)
        {
            var name = Sanitize(instrument.Name);
            var unit = instrument.Unit switch
            {
                "By" => "bytes",
                "s" => "seconds",
                "ms" => "milliseconds",
                "1" when kind == Kind.Gauge => "ratio",
                _ => null, // annotations such as {record} carry no unit
            };
            if (unit is not null && !name.EndsWith("_" + unit, StringComparison.Ordinal)) name += "_" + unit;
            if (kind == Kind.Counter && !name.EndsWith("_total", StringComparison.Ordinal)) name += "_total";
            return name;
        }
    }
}
