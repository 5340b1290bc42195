using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Reads;

/// <summary>
/// The exact error texts of reads that this node cannot serve at their consistency level. All start with
/// <c>TRYAGAIN</c> (retrying, here later or on another node, can succeed) and end with where the primary is:
/// <c>primary ID at HOST:PORT</c> (its RESP address) or <c>primary unknown</c>. docs/reads-and-client.md lists them.
/// </summary>
public static class ReadErrors
{
    public static KvReply NotApplied(string node, ulong token, ulong applied, TimeSpan waited, string primary) =>
        KvReply.Error($"TRYAGAIN read-your-writes: LSN {token} is not applied on {node} after {Ms(waited)} ms (applied {applied}); {primary}");

    public static KvReply TooStale(string node, TimeSpan lag, TimeSpan bound, string primary) =>
        KvReply.Error($"TRYAGAIN bounded-staleness: {node} is {Ms(lag)} ms behind the primary, over the {Ms(bound)} ms bound; {primary}");

    public static KvReply FreshnessUnknown(string node, TimeSpan bound, string primary) =>
        KvReply.Error($"TRYAGAIN bounded-staleness: {node} has no recent news from the primary to prove it is within the {Ms(bound)} ms bound; {primary}");

    public static KvReply NotPrimary(string node, string primary) =>
        KvReply.Error($"TRYAGAIN linearizable: {node} is not the primary, and linearizable reads are served by the primary only; {primary}");

    public static KvReply NotConfirmed(string node, TimeSpan waited, string primary) =>
        KvReply.Error($"TRYAGAIN linearizable: {node} could not confirm with a majority that it is still the primary within {Ms(waited)} ms; {primary}");

    public static KvReply NotCaughtUp(string node, ulong start, ulong applied, TimeSpan waited, string primary) =>
        KvReply.Error($"TRYAGAIN linearizable: {node} has not applied the log before its generation began (LSN {start}; applied {applied}) within {Ms(waited)} ms; {primary}");

    public static KvReply NotCommitted(ulong seen, TimeSpan waited, string primary) =>
        KvReply.Error($"TRYAGAIN linearizable: the state read (up to LSN {seen}) was not committed at quorum within {Ms(waited)} ms; {primary}");

    /// <summary>The trailing part: <c>primary ID at HOST:PORT</c>, or <c>primary unknown</c>.</summary>
    public static string Primary(string? id, string? host, int? respPort) =>
        id is null || host is null || respPort is null ? "primary unknown" : $"primary {id} at {host}:{respPort}";

    private static string Ms(TimeSpan t) => ((long)Math.Ceiling(t.TotalMilliseconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
