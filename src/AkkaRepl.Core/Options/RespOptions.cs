namespace AkkaRepl.Core.Options;

/// <summary>The Redis-protocol endpoint. HOCON path <c>akkarepl.resp</c>.</summary>
public sealed record RespOptions
{
    /// <summary>Most client connections at once; one more is answered with an error and closed.</summary>
    public int MaxConnections { get; init; } = 10_000;
    /// <summary>Longest bulk string a client may send (Redis: proto-max-bulk-len).</summary>
    public long MaxBulkBytes { get; init; } = 512L * 1024 * 1024;
    /// <summary>Most elements in one request array.</summary>
    public int MaxArrayLength { get; init; } = 1024 * 1024;
    /// <summary>Most bytes one request may take, all arguments together (Redis: client-query-buffer-limit).</summary>
    public long MaxRequestBytes { get; init; } = 1024L * 1024 * 1024;
}
