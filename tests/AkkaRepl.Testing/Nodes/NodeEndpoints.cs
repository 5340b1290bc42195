namespace AkkaRepl.Testing.Nodes;

/// <summary>
/// What a node announced in its ready line (<c>READY node=&lt;id&gt; resp=&lt;port&gt; http=&lt;port&gt; repl=&lt;port&gt;</c>).
/// A port is null when the ready pattern has no group for it (generic commands).
/// </summary>
public sealed record NodeEndpoints(string Line, string? NodeId, int? RespPort, int? HttpPort, int? ReplPort)
{
    /// <summary>The RESP port, or a clear error when the ready line had none.</summary>
    public int Resp => RespPort ?? throw new InvalidOperationException($"The ready line had no resp port: '{Line}'.");

    /// <summary>The HTTP port, or a clear error when the ready line had none.</summary>
    public int Http => HttpPort ?? throw new InvalidOperationException($"The ready line had no http port: '{Line}'.");

    /// <summary>The replication port, or a clear error when the ready line had none.</summary>
    public int Repl => ReplPort ?? throw new InvalidOperationException($"The ready line had no repl port: '{Line}'.");
}
