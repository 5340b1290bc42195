using System.Globalization;
using System.Text.RegularExpressions;

namespace AkkaRepl.Server.Tests.Metrics;

/// <summary>
/// A strict reader of the Prometheus text exposition format (0.0.4), so the tests fail on anything a Prometheus
/// server would reject or misread: every sample belongs to a family declared by one HELP and one TYPE line before it,
/// names and labels are well formed, values parse, no series repeats, and each histogram series has increasing
/// <c>le</c> bounds ending at +Inf with cumulative counts, a <c>+Inf</c> count equal to <c>_count</c>, and a <c>_sum</c>.
/// </summary>
internal sealed partial class PrometheusText
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public Dictionary<string, string> Types { get; } = new();
    public List<Sample> Samples { get; } = [];

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("""^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)""")]
    private static partial Regex LabelPair();

    public static PrometheusText Parse(string text)
    {
        var result = new PrometheusText();
        if (text.Length > 0 && !text.EndsWith('\n')) throw new FormatException("the exposition must end with a newline");
        var help = new HashSet<string>();
        var seen = new HashSet<string>();
        var lineNo = 0;
        foreach (var line in text.Split('\n')[..^1])
        {
            lineNo++;
            string Where() => $"line {lineNo}: '{line}'";
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var name = line[7..].Split(' ')[0];
                if (!MetricName().IsMatch(name) || !help.Add(name)) throw new FormatException($"bad or repeated HELP at {Where()}");
                continue;
            }
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line[7..].Split(' ');
                if (parts.Length != 2 || !MetricName().IsMatch(parts[0]) || parts[1] is not ("counter" or "gauge" or "histogram" or "summary" or "untyped"))
                    throw new FormatException($"bad TYPE at {Where()}");
                if (!help.Contains(parts[0])) throw new FormatException($"TYPE before HELP at {Where()}");
                if (!result.Types.TryAdd(parts[0], parts[1])) throw new FormatException($"repeated TYPE at {Where()}");
                continue;
            }
            if (line.StartsWith('#') || line.Length == 0) throw new FormatException($"unexpected comment or blank line at {Where()}");

            var brace = line.IndexOf('{');
            var space = brace >= 0 ? line.IndexOf(' ', line.LastIndexOf('}')) : line.IndexOf(' ');
            if (space < 0) throw new FormatException($"no value at {Where()}");
            var sampleName = brace >= 0 ? line[..brace] : line[..space];
            if (!MetricName().IsMatch(sampleName)) throw new FormatException($"bad metric name at {Where()}");
            var labels = new Dictionary<string, string>();
            if (brace >= 0)
            {
                var body = line[(brace + 1)..line.LastIndexOf('}')];
                while (body.Length > 0)
                {
                    var m = LabelPair().Match(body);
                    if (!m.Success) throw new FormatException($"bad labels at {Where()}");
                    if (!labels.TryAdd(m.Groups[1].Value, m.Groups[2].Value.Replace("\\n", "\n").Replace("\\\"", "\"").Replace("\\\\", "\\")))
                        throw new FormatException($"repeated label at {Where()}");
                    body = body[m.Length..];
                }
            }
            var valueText = line[(space + 1)..];
            if (valueText.Contains(' ')) throw new FormatException($"timestamps are not expected at {Where()}");
            var value = valueText switch
            {
                "+Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity, "NaN" => double.NaN,
                _ => double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"bad value at {Where()}"),
            };
            var family = FamilyOf(result.Types, sampleName) ?? throw new FormatException($"sample of an undeclared family at {Where()}");
            if (result.Types[family] == "counter" && value < 0) throw new FormatException($"negative counter at {Where()}");
            var key = sampleName + "{" + string.Join(",", labels.OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}")) + "}";
            if (!seen.Add(key)) throw new FormatException($"repeated series at {Where()}");
            result.Samples.Add(new Sample(sampleName, labels, value));
        }
        result.CheckHistograms();
        return result;
    }

    private static string? FamilyOf(Dictionary<string, string> types, string sample)
    {
        if (types.ContainsKey(sample)) return types[sample] == "histogram" ? null : sample;
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
            if (sample.EndsWith(suffix, StringComparison.Ordinal) && types.TryGetValue(sample[..^suffix.Length], out var t) && t == "histogram")
                return sample[..^suffix.Length];
        return null;
    }

    private void CheckHistograms()
    {
        foreach (var (family, _) in Types.Where(t => t.Value == "histogram"))
        {
            var buckets = Samples.Where(s => s.Name == family + "_bucket")
                .GroupBy(s => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key).Select(l => l.Key + "=" + l.Value)));
            foreach (var series in buckets)
            {
                var bounds = series.Select(s => (Le: s.Labels.TryGetValue("le", out var le) ? le : throw new FormatException($"{family} bucket without le"), s.Value)).ToList();
                if (bounds[^1].Le != "+Inf") throw new FormatException($"{family}{{{series.Key}}} does not end with le=\"+Inf\"");
                for (var i = 1; i < bounds.Count; i++)
                {
                    var a = Le(bounds[i - 1].Le);
                    var b = Le(bounds[i].Le);
                    if (!(b > a)) throw new FormatException($"{family}{{{series.Key}}}: le bounds not increasing");
                    if (bounds[i].Value < bounds[i - 1].Value) throw new FormatException($"{family}{{{series.Key}}}: bucket counts not cumulative");
                }
                var count = Single(family + "_count", series.Key);
                Single(family + "_sum", series.Key);
                if (count != bounds[^1].Value) throw new FormatException($"{family}{{{series.Key}}}: +Inf bucket {bounds[^1].Value} != _count {count}");
            }
        }
    }

    private static double Le(string le) => le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);

    private double Single(string name, string labelKey) =>
        Samples.Where(s => s.Name == name && string.Join(",", s.Labels.OrderBy(l => l.Key).Select(l => l.Key + "=" + l.Value)) == labelKey)
            .Select(s => (double?)s.Value).SingleOrDefault() ?? throw new FormatException($"missing {name}{{{labelKey}}}");

    /// <summary>The value of the one sample with this name whose labels include <paramref name="labels"/>.</summary>
    public double Value(string name, params (string Key, string Value)[] labels)
    {
        var matches = Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();
        return matches.Count == 1 ? matches[0].Value
            : throw new InvalidOperationException($"{matches.Count} samples named {name} with labels {string.Join(",", labels)}");
    }

    public bool Has(string name, params (string Key, string Value)[] labels) =>
        Samples.Any(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value));
}
