using System.Globalization;

namespace AkkaRepl.Client.Reads;

/// <summary>How fresh a read must be (contract G6); sent to the node as <c>CONSISTENCY ...</c>.</summary>
public sealed record ReadConsistency
{
    private ReadConsistency(string kind, ulong token = 0, TimeSpan bound = default) => (Kind, Token, Bound) = (kind, token, bound);

    /// <summary>Whatever the node has applied.</summary>
    public static ReadConsistency Eventual { get; } = new("eventual");
    /// <summary>Only the primary, confirmed by a majority; never stale, never a value a failover could take away.</summary>
    public static ReadConsistency Linearizable { get; } = new("linearizable");
    /// <summary>Any node that has applied <paramref name="lsn"/> (a write's end LSN).</summary>
    public static ReadConsistency ReadYourWrites(ulong lsn) => new("read-your-writes", token: lsn);
    /// <summary>Any node at most <paramref name="bound"/> behind the primary, in time.</summary>
    public static ReadConsistency BoundedStaleness(TimeSpan bound) =>
        bound > TimeSpan.Zero ? new("bounded-staleness", bound: bound) : throw new ArgumentOutOfRangeException(nameof(bound), "the bound must be positive");

    public string Kind { get; }
    public ulong Token { get; }
    public TimeSpan Bound { get; }

    /// <summary>The arguments of the <c>CONSISTENCY</c> command.</summary>
    internal string[] Arguments => Kind switch
    {
        "read-your-writes" => [Kind, Token.ToString(CultureInfo.InvariantCulture)],
        "bounded-staleness" => [Kind, BoundText],
        _ => [Kind],
    };

    /// <summary>The bound as the node parses it: whole milliseconds when it is a whole number of them, else whole
    /// microseconds rounded down (never looser than asked: 0.5 ms is sent as 500us, not rounded up to 1ms).</summary>
    private string BoundText
    {
        get
        {
            var micros = Math.Max(1, Bound.Ticks / TimeSpan.TicksPerMicrosecond);
            return micros % 1000 == 0
                ? (micros / 1000).ToString(CultureInfo.InvariantCulture) + "ms"
                : micros.ToString(CultureInfo.InvariantCulture) + "us";
        }
    }

    /// <summary>True when a connection set to this level serves a read asking for <paramref name="wanted"/> at least as well.</summary>
    internal bool Covers(ReadConsistency wanted) => Kind == wanted.Kind && Kind switch
    {
        "read-your-writes" => Token >= wanted.Token,
        "bounded-staleness" => Bound == wanted.Bound, // a tighter bound would refuse reads this one allows
        _ => true,
    };

    public override string ToString() => string.Join(' ', Arguments);
}
