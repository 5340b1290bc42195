using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// Prints a <c>bench resp</c> result: a table for people, <c>name=value</c> lines for scripts (always on stdout,
/// invariant culture), and optionally the raw figures as JSON.
/// </summary>
internal static class BenchReport
{
    public static readonly double[] Percentiles = [50, 90, 99, 99.9];

    public static void Print(BenchResp.Result r)
    {
        var s = r.Settings;
        var mode = s.Rate is { } rate ? $"latency mode, {rate.ToString("N0", CultureInfo.InvariantCulture)} req/s intended" : "throughput mode";
        var table = new Table().Title($"bench resp {s.Host}:{s.Port} ({mode})").AddColumns("figure", "value");
        table.AddRow("clients x pipeline", $"{s.Clients} x {s.Pipeline}");
        table.AddRow("mix (SET %)", s.SetPercent.ToString(CultureInfo.InvariantCulture));
        table.AddRow("value bytes", s.ValueBytes.ToString(CultureInfo.InvariantCulture));
        table.AddRow("durability", s.Durability ?? "(server default)");
        table.AddRow("requests", $"{r.Completed:N0} ({r.Sets:N0} SET, {r.Gets:N0} GET)");
        table.AddRow("errors", r.Errors == 0 ? "0" : $"[red]{r.Errors:N0}[/] first: {Markup.Escape(r.FirstError ?? "")}");
        table.AddRow("elapsed", $"{r.Elapsed.TotalSeconds:N2} s");
        table.AddRow("[bold]throughput[/]", $"[bold]{r.RequestsPerSecond:N0} req/s[/]");
        foreach (var p in Percentiles) table.AddRow($"latency p{p.ToString(CultureInfo.InvariantCulture)}", Ms(r.LatencyMicros.ValueAtPercentile(p)));
        table.AddRow("latency max", Ms(r.LatencyMicros.Max));
        table.AddRow("latency mean", Ms((long)r.LatencyMicros.Mean));
        // Plain text when redirected to a file or a pipe: no escape codes in logs.
        var console = Console.IsOutputRedirected
            ? AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(Console.Out) })
            : AnsiConsole.Console;
        console.Write(table);
        WriteFields(r, Console.Out);
    }

    /// <summary>The figures as <c>key=value</c> lines, for scripts (tests/perf reads them); <c>first_error</c> only
    /// when a request got an error reply, so a script can say why a run failed.</summary>
    public static void WriteFields(BenchResp.Result r, TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv, $"requests_per_second={r.RequestsPerSecond:F0}"));
        output.WriteLine(string.Create(inv, $"errors={r.Errors}"));
        if (r.FirstError is { } first) output.WriteLine("first_error=" + first.ReplaceLineEndings(" "));
        foreach (var p in Percentiles)
            output.WriteLine(string.Create(inv, $"p{p.ToString(inv).Replace(".", "_", StringComparison.Ordinal)}_us={r.LatencyMicros.ValueAtPercentile(p)}"));
        output.WriteLine(string.Create(inv, $"max_us={r.LatencyMicros.Max}"));
    }

    public static void WriteJson(BenchResp.Result r, string path)
    {
        var s = r.Settings;
        var json = new Dictionary<string, object?>
        {
            ["host"] = s.Host, ["port"] = s.Port, ["clients"] = s.Clients, ["pipeline"] = s.Pipeline,
            ["valueBytes"] = s.ValueBytes, ["setPercent"] = s.SetPercent, ["rate"] = s.Rate, ["durability"] = s.Durability,
            ["keyspace"] = s.Keyspace, ["requested"] = s.Requests, ["completed"] = r.Completed, ["sets"] = r.Sets, ["gets"] = r.Gets,
            ["errors"] = r.Errors, ["firstError"] = r.FirstError, ["elapsedSeconds"] = r.Elapsed.TotalSeconds,
            ["requestsPerSecond"] = r.RequestsPerSecond,
            ["latencyMicros"] = new Dictionary<string, object>
            {
                ["min"] = r.LatencyMicros.Count == 0 ? 0 : r.LatencyMicros.Min, ["mean"] = r.LatencyMicros.Mean,
                ["p50"] = r.LatencyMicros.ValueAtPercentile(50), ["p90"] = r.LatencyMicros.ValueAtPercentile(90),
                ["p99"] = r.LatencyMicros.ValueAtPercentile(99), ["p99.9"] = r.LatencyMicros.ValueAtPercentile(99.9),
                ["max"] = r.LatencyMicros.Max,
            },
            ["utc"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        };
        File.WriteAllText(path, JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static string Ms(long micros) => (micros / 1000.0).ToString("N3", CultureInfo.InvariantCulture) + " ms";
}
