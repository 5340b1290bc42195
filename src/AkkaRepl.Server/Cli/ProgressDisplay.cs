using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// Shows long work as it goes: a Spectre.Console progress bar (percent, rate, time left) in a terminal, and
/// otherwise (logs, pipes, CI) a plain line every few seconds with the percent, the rate and an estimate.
/// </summary>
internal static class ProgressDisplay
{
    /// <summary>One reading of the work: percent done (null while unknown), a short state word, and whether it ended.</summary>
    public readonly record struct Reading(double? Percent, string State, bool Done);

    /// <summary>Polls <paramref name="read"/> every <paramref name="pollEvery"/> until it reports done or
    /// <paramref name="ct"/> is cancelled.</summary>
    public static async Task RunAsync(string what, Func<CancellationToken, Task<Reading>> read, TimeSpan pollEvery, CancellationToken ct)
    {
        if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(what, maxValue: 100);
                    while (true)
                    {
                        var reading = await read(ct).ConfigureAwait(false);
                        task.Description = $"{what}: {Markup.Escape(reading.State)}";
                        if (reading.Percent is { } p) task.Value = p;
                        if (reading.Done) { task.Value = 100; return; }
                        await Task.Delay(pollEvery, ct).ConfigureAwait(false);
                    }
                }).ConfigureAwait(false);
            return;
        }
        var clock = Stopwatch.StartNew();
        TimeSpan? lastLine = null;
        (double Percent, TimeSpan At)? first = null;
        while (true)
        {
            var reading = await read(ct).ConfigureAwait(false);
            if (reading.Done) return;
            if (reading.Percent is { } p && first is null) first = (p, clock.Elapsed);
            if (lastLine is null || clock.Elapsed - lastLine >= LineEvery)
            {
                lastLine = clock.Elapsed;
                Console.Out.WriteLine(Describe(what, reading, first, clock.Elapsed));
            }
            await Task.Delay(pollEvery, ct).ConfigureAwait(false);
        }
    }

    /// <summary>How often a line is written when there is no terminal.</summary>
    public static readonly TimeSpan LineEvery = TimeSpan.FromSeconds(3);

    /// <summary>"what: state, P% at R%/s, about S s left": the rate is measured from the first reading with a percent.</summary>
    public static string Describe(string what, Reading reading, (double Percent, TimeSpan At)? first, TimeSpan now)
    {
        if (reading.Percent is not { } p) return $"{what}: {reading.State}";
        var text = string.Create(CultureInfo.InvariantCulture, $"{what}: {reading.State}, {p:F1}%");
        if (first is { } f && now > f.At && p > f.Percent)
        {
            var rate = (p - f.Percent) / (now - f.At).TotalSeconds;
            text += string.Create(CultureInfo.InvariantCulture, $" at {rate:F1}%/s, about {(100 - p) / rate:F0} s left");
        }
        return text;
    }
}
