namespace AkkaRepl.Core.Diagnostics;

/// <summary>
/// Progress of long work in bytes, as a log line every <see cref="Interval"/>: percent, amount, rate and an
/// estimate of the time left (snapshot transfer, replay, catch-up). Not thread-safe: one worker reports.
/// </summary>
public sealed class Progress(long totalBytes, TimeProvider time, TimeSpan? interval = null)
{
    private readonly DateTimeOffset _started = time.GetUtcNow();
    private DateTimeOffset _lastReport = time.GetUtcNow();

    public TimeSpan Interval { get; } = interval ?? TimeSpan.FromSeconds(2);

    /// <summary>Percent done at <paramref name="doneBytes"/> (0..100).</summary>
    public double Percent(long doneBytes) => totalBytes <= 0 ? 100 : Math.Min(100, 100.0 * doneBytes / totalBytes);

    /// <summary>True (with the line) when a report is due.</summary>
    public bool Due(long doneBytes, out string line)
    {
        var now = time.GetUtcNow();
        if (now - _lastReport < Interval) { line = ""; return false; }
        _lastReport = now;
        line = Describe(doneBytes);
        return true;
    }

    public string Describe(long doneBytes)
    {
        var elapsed = Math.Max((time.GetUtcNow() - _started).TotalSeconds, 0.001);
        var rate = doneBytes / elapsed;
        var left = rate > 0 ? TimeSpan.FromSeconds((totalBytes - doneBytes) / rate) : TimeSpan.Zero;
        return $"{Percent(doneBytes):F1}% ({Mib(doneBytes):F1} of {Mib(totalBytes):F1} MiB) at {Mib((long)rate):F1} MiB/s, about {left.TotalSeconds:F0} s left";
    }

    private static double Mib(long bytes) => bytes / (1024.0 * 1024.0);
}
