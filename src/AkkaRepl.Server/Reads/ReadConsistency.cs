using System.Globalization;
using AkkaRepl.Core.Config;

namespace AkkaRepl.Server.Reads;

/// <summary>
/// A read's consistency level as the RESP <c>CONSISTENCY</c> command sets it:
/// <c>linearizable</c>, <c>read-your-writes LSN</c>, <c>bounded-staleness DURATION</c> (HOCON durations:
/// <c>500ms</c>, <c>2s</c>) or <c>eventual</c>.
/// </summary>
/// <param name="Token">For read-your-writes: the end LSN of a write (a receipt's LSN, or <c>LASTLSN</c>).</param>
/// <param name="Bound">For bounded-staleness: how far behind the primary, in time, the node may be.</param>
public sealed record ReadConsistency(ReadConsistencyKind Kind, ulong Token = 0, TimeSpan Bound = default)
{
    public static readonly ReadConsistency Eventual = new(ReadConsistencyKind.Eventual);
    public static readonly ReadConsistency Linearizable = new(ReadConsistencyKind.Linearizable);

    public static ReadConsistency ReadYourWrites(ulong token) => new(ReadConsistencyKind.ReadYourWrites, Token: token);
    public static ReadConsistency BoundedStaleness(TimeSpan bound) => new(ReadConsistencyKind.BoundedStaleness, Bound: bound);

    /// <summary>Parses the words after <c>CONSISTENCY</c>; on bad input returns null and the error text (without the <c>ERR</c> code).</summary>
    public static ReadConsistency? TryParse(IReadOnlyList<string> words, out string? error)
    {
        error = null;
        var name = words.Count > 0 ? words[0].ToLowerInvariant() : "";
        switch (name)
        {
            case "eventual" when words.Count == 1:
                return Eventual;
            case "linearizable" when words.Count == 1:
                return Linearizable;
            case "read-your-writes":
                if (words.Count == 2 && ulong.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out var lsn))
                    return ReadYourWrites(lsn);
                error = "read-your-writes takes one LSN token: the number LASTLSN or a write's receipt gives, e.g. CONSISTENCY read-your-writes 4096";
                return null;
            case "bounded-staleness":
                if (words.Count == 2 && HoconUnits.TryParseDuration(words[1], out var bound) && bound > TimeSpan.Zero)
                    return BoundedStaleness(bound);
                error = "bounded-staleness takes one positive duration with its unit, e.g. CONSISTENCY bounded-staleness 500ms (or 2s)";
                return null;
            case "eventual" or "linearizable":
                error = $"{name} takes no argument";
                return null;
            default:
                error = $"unknown consistency '{string.Join(' ', words)}': expected linearizable, read-your-writes <lsn>, bounded-staleness <duration> or eventual";
                return null;
        }
    }

    public override string ToString() => Kind switch
    {
        ReadConsistencyKind.Linearizable => "linearizable",
        ReadConsistencyKind.ReadYourWrites => $"read-your-writes {Token}",
        ReadConsistencyKind.BoundedStaleness => $"bounded-staleness {HoconUnits.FormatDuration(Bound).Replace(" ", "")}",
        _ => "eventual",
    };
}
