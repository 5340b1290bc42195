namespace AkkaRepl.Core.Options;

/// <summary>
/// Automatic failover: heartbeats on the control lane, the phi-accrual failure detector, elections and the
/// primary's lease. HOCON path <c>akkarepl.election</c>.
/// <para>The timing keys depend on each other; <see cref="Validate"/> rejects combinations that would break
/// one writer per generation (G2): the lease plus the drift margin must end before any voter can grant a
/// vote to someone else (<see cref="ElectionTimeout"/>).</para>
/// </summary>
public sealed record ElectionOptions : IValidatableOptions
{
    /// <summary>Elect a new primary automatically when the primary fails. False: static roles and manual promotion only.</summary>
    public bool Enabled { get; init; } = true;
    /// <summary>How often every node sends a heartbeat to every peer on the control lane.</summary>
    [OptionRange("1 ms", "1 m")]
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>Phi above which the failure detector calls a peer unreachable (Akka's default is 8; higher is slower and surer).</summary>
    [OptionRange(1.0, 30.0)]
    public double PhiThreshold { get; init; } = 8.0;
    /// <summary>A pause in heartbeats this long is still taken as normal by the failure detector (added to the mean interval).</summary>
    [OptionRange("0 ms", "1 h")]
    public TimeSpan AcceptablePause { get; init; } = TimeSpan.FromMilliseconds(300);
    /// <summary>Smallest standard deviation the detector assumes for heartbeat intervals, so a very regular link is not judged on a hair's breadth.</summary>
    [OptionRange("1 ms", "1 m")]
    public TimeSpan MinStdDeviation { get; init; } = TimeSpan.FromMilliseconds(50);
    /// <summary>A voter grants a vote only after hearing nothing from the primary (nor granting another vote) for this long.</summary>
    [OptionRange("10 ms", "1 h")]
    public TimeSpan ElectionTimeout { get; init; } = TimeSpan.FromMilliseconds(800);
    /// <summary>How long a majority's acknowledgement of one heartbeat lets the primary acknowledge writes, from the heartbeat's send time.</summary>
    [OptionRange("1 ms", "1 h")]
    public TimeSpan Lease { get; init; } = TimeSpan.FromMilliseconds(500);
    /// <summary>Safety margin between the end of the lease and the earliest vote: covers clock-rate drift and a process pause between a lease check and a reply.</summary>
    [OptionRange("0 ms", "1 h")]
    public TimeSpan ClockDriftMargin { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Longest wait between two election attempts of one node; failed attempts double the wait (randomized) up to this.</summary>
    [OptionRange("1 ms", "1 h")]
    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(2);

    /// <inheritdoc />
    public void Validate(OptionsValidationContext context)
    {
        string P(string name) => context.PathOf(name);
        static string Ms(TimeSpan t) => $"{t.TotalMilliseconds:0.###} ms";
        if (Lease + ClockDriftMargin >= ElectionTimeout)
            context.Add($"{P(nameof(Lease))} ({Ms(Lease)}) + {P(nameof(ClockDriftMargin))} ({Ms(ClockDriftMargin)}) must be shorter than " +
                        $"{P(nameof(ElectionTimeout))} ({Ms(ElectionTimeout)}): a primary's lease must end before another node can be elected, " +
                        "or two primaries could acknowledge writes at once");
        if (Lease < 2 * HeartbeatInterval)
            context.Add($"{P(nameof(Lease))} ({Ms(Lease)}) must be at least twice {P(nameof(HeartbeatInterval))} ({Ms(HeartbeatInterval)}): " +
                        "the lease is renewed by heartbeat acknowledgements, and one late heartbeat must not end it");
        if (ElectionTimeout < 3 * HeartbeatInterval)
            context.Add($"{P(nameof(ElectionTimeout))} ({Ms(ElectionTimeout)}) must be at least three times {P(nameof(HeartbeatInterval))} " +
                        $"({Ms(HeartbeatInterval)}): a voter must not give up on a primary after one or two late heartbeats");
        if (BackoffMax < HeartbeatInterval)
            context.Add($"{P(nameof(BackoffMax))} ({Ms(BackoffMax)}) must be at least {P(nameof(HeartbeatInterval))} ({Ms(HeartbeatInterval)})");
    }
}
