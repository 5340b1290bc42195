namespace AkkaRepl.Core.Options;

/// <summary>State snapshots (checkpoints). HOCON path <c>akkarepl.snapshot</c>.</summary>
public sealed record SnapshotOptions
{
    /// <summary>Take a snapshot automatically; when false only an explicit request takes one.</summary>
    public bool Enabled { get; init; } = true;
    /// <summary>Take a snapshot once this many bytes of log were applied since the last one.</summary>
    [OptionRange("4 KiB", "max")]
    public long IntervalBytes { get; init; } = 256L * 1024 * 1024;
    /// <summary>Also wait until the log since the last snapshot is at least this many times that snapshot's size, so a
    /// large state is not rewritten for every <see cref="IntervalBytes"/> of log; 0 snapshots every interval.</summary>
    [OptionRange(0.0, 100.0, Hint = "0 snapshots every interval whatever the state's size")]
    public double LogToStateRatio { get; init; } = 1.0;
    /// <summary>How many valid snapshots to keep; older ones are deleted (at least 2, so a corrupt newest one has a fallback).</summary>
    [OptionRange(2, 1000, Hint = "at least 2, so a corrupt newest snapshot has a fallback")]
    public int Retain { get; init; } = 2;
}
