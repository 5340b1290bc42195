namespace AkkaRepl.Core.Options;

/// <summary>All of a node's settings: the HOCON root <c>akkarepl</c> bound to one record per part.</summary>
public sealed record AkkaReplOptions
{
    public NodeOptions Node { get; init; } = new();
    public WalOptions Wal { get; init; } = new();
    public SnapshotOptions Snapshot { get; init; } = new();
    public RespOptions Resp { get; init; } = new();
    public HttpOptions Http { get; init; } = new();
}
