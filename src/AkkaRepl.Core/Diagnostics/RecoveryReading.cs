using System.Globalization;

namespace AkkaRepl.Core.Diagnostics;

/// <summary>
/// One reading of <see cref="RecoveryProgress"/>: the current phase, its bytes done of its total, the rate over the
/// phase so far, and an estimate of the phase's time left (null until a rate is known).
/// </summary>
public readonly record struct RecoveryReading(
    RecoveryPhase Phase, long DoneBytes, long TotalBytes, double BytesPerSecond, TimeSpan? Remaining, TimeSpan PhaseElapsed, TimeSpan Elapsed)
{
    /// <summary>Percent of the current phase done, 0 to 100 (100 for a phase with nothing to do).</summary>
    public double Percent => TotalBytes <= 0 ? 100 : Math.Clamp(100.0 * DoneBytes / TotalBytes, 0, 100);

    /// <summary>The phase as status and logs spell it: wal, snapshot, replay, starting.</summary>
    public string PhaseName => Phase.ToString().ToLowerInvariant();

    /// <summary>"wal 43.2% (13.8 of 32.0 MiB) at 51.0 MiB/s, about 0 s left" (invariant culture, for logs and the CLI).</summary>
    public string Describe()
    {
        if (Phase == RecoveryPhase.Starting) return "starting (recovered; choosing the role and opening ports)";
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{PhaseName} {Percent:F1}% ({Mib(DoneBytes):F1} of {Mib(TotalBytes):F1} MiB) at {Mib((long)BytesPerSecond):F1} MiB/s");
        return Remaining is { } left ? text + string.Create(CultureInfo.InvariantCulture, $", about {left.TotalSeconds:F0} s left") : text;
    }

    private static double Mib(long bytes) => bytes / (1024.0 * 1024.0);
}
