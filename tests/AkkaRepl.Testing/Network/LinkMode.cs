namespace AkkaRepl.Testing.Network;

/// <summary>
/// The fault applied to one direction of a proxied link. Create it with <see cref="Pass"/>, <see cref="Blackhole"/>,
/// <see cref="Drop"/>, <see cref="DelayBy"/> or <see cref="ThrottleTo"/>.
/// </summary>
public sealed record LinkMode
{
    private LinkMode(LinkModeKind kind, TimeSpan delay, long bytesPerSecond)
    {
        Kind = kind;
        Delay = delay;
        BytesPerSecond = bytesPerSecond;
    }

    /// <summary>Which fault this is.</summary>
    public LinkModeKind Kind { get; }

    /// <summary>For <see cref="LinkModeKind.Delay"/>: how long after it was read a chunk is delivered.</summary>
    public TimeSpan Delay { get; }

    /// <summary>For <see cref="LinkModeKind.Throttle"/>: the most bytes delivered per second.</summary>
    public long BytesPerSecond { get; }

    /// <summary>No fault.</summary>
    public static LinkMode Pass { get; } = new(LinkModeKind.Pass, TimeSpan.Zero, 0);

    /// <summary>Hold bytes without delivering them; healing delivers them in order.</summary>
    public static LinkMode Blackhole { get; } = new(LinkModeKind.Blackhole, TimeSpan.Zero, 0);

    /// <summary>Reset connections. TCP cannot reset one direction, so Drop on either direction resets the whole connection.</summary>
    public static LinkMode Drop { get; } = new(LinkModeKind.Drop, TimeSpan.Zero, 0);

    /// <summary>Deliver each chunk <paramref name="delay"/> after it was read, in order.</summary>
    public static LinkMode DelayBy(TimeSpan delay) =>
        delay < TimeSpan.Zero
            ? throw new ArgumentOutOfRangeException(nameof(delay), delay, "A delay cannot be negative.")
            : new(LinkModeKind.Delay, delay, 0);

    /// <summary>Deliver at most <paramref name="bytesPerSecond"/> bytes per second.</summary>
    public static LinkMode ThrottleTo(long bytesPerSecond) =>
        bytesPerSecond <= 0
            ? throw new ArgumentOutOfRangeException(nameof(bytesPerSecond), bytesPerSecond, "A throttle needs a positive rate.")
            : new(LinkModeKind.Throttle, TimeSpan.Zero, bytesPerSecond);

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        LinkModeKind.Delay => $"Delay({Delay.TotalMilliseconds}ms)",
        LinkModeKind.Throttle => $"Throttle({BytesPerSecond}B/s)",
        _ => Kind.ToString(),
    };
}
