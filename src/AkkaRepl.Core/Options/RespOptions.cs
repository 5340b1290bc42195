namespace AkkaRepl.Core.Options;

/// <summary>The Redis-protocol endpoint. HOCON path <c>akkarepl.resp</c>.</summary>
public sealed record RespOptions : IValidatableOptions
{
    /// <summary>Most client connections at once; one more is answered with an error and closed.</summary>
    [OptionRange(1, 1_000_000)]
    public int MaxConnections { get; init; } = 10_000;
    /// <summary>Longest bulk string a client may send (Redis: proto-max-bulk-len); at most <see cref="MaxRequestBytes"/>.</summary>
    [OptionRange("1 KiB", "max")]
    public long MaxBulkBytes { get; init; } = 512L * 1024 * 1024;
    /// <summary>Most elements in one request array.</summary>
    [OptionRange(1, int.MaxValue)]
    public int MaxArrayLength { get; init; } = 1024 * 1024;
    /// <summary>Most bytes one request may take, all arguments together (Redis: client-query-buffer-limit).</summary>
    [OptionRange("1 KiB", "max")]
    public long MaxRequestBytes { get; init; } = 1024L * 1024 * 1024;
    /// <summary>A connection that sends no request and takes no reply bytes for this long is closed; null: never.</summary>
    [OptionRange("1 s", "max")]
    public TimeSpan? IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Most reply bytes one client may leave unread (Redis: client-output-buffer-limit); past it the client is
    /// cut off, so a client that never reads cannot take the node's memory. Must exceed the largest value read.</summary>
    [OptionRange("64 KiB", "max")]
    public long MaxPendingReplyBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Whether plain-TCP clients are served by the node's own epoll event loop (Linux x86-64) or by .NET's
    /// socket engine. Auto: the event loop where it runs.</summary>
    public RespEventLoopMode EventLoop { get; init; } = RespEventLoopMode.Auto;
    /// <summary>Longest the event loop holds its next read back while writes it dispatched are in flight, so requests
    /// that arrive meanwhile are read together; zero: never.</summary>
    [OptionRange("0 s", "100 ms")]
    public TimeSpan EventLoopGate { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <inheritdoc />
    public void Validate(OptionsValidationContext context)
    {
        if (MaxBulkBytes > MaxRequestBytes)
            context.Add($"{context.PathOf(nameof(MaxBulkBytes))} = {Config.HoconUnits.FormatBytes(MaxBulkBytes)} is larger than " +
                        $"{context.PathOf(nameof(MaxRequestBytes))} = {Config.HoconUnits.FormatBytes(MaxRequestBytes)}: one bulk string must fit in a request");
    }
}
