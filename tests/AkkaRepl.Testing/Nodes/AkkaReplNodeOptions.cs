namespace AkkaRepl.Testing.Nodes;

/// <summary>
/// The command line of one <c>akkarepl node</c>: ids, directories, ports (0 = any free port), config text and
/// arbitrary extra settings and arguments, so peers and upstreams can be passed once replication exists.
/// </summary>
public sealed record AkkaReplNodeOptions
{
    /// <summary>The node id (usually the role name).</summary>
    public required string NodeId { get; init; }

    /// <summary>The node's data directory; created if missing.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>HOCON config text written to <see cref="ConfigPath"/> and passed with <c>--config</c>; null for none.</summary>
    public string? ConfigText { get; init; }

    /// <summary>Where <see cref="ConfigText"/> is written; defaults to <c>node.conf</c> next to the data directory.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>RESP port; 0 lets the node pick one.</summary>
    public int RespPort { get; init; }

    /// <summary>HTTP status port; 0 lets the node pick one.</summary>
    public int HttpPort { get; init; }

    /// <summary>Replication port; 0 lets the node pick one.</summary>
    public int ReplPort { get; init; }

    /// <summary><c>path=value</c> pairs, each passed as <c>--set path=value</c>.</summary>
    public IReadOnlyList<string> Settings { get; init; } = [];

    /// <summary>Arguments appended as they are.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>Path to akkarepl.dll; null to use <see cref="AkkaReplNode.FindBinary"/>.</summary>
    public string? BinaryPath { get; init; }

    /// <summary>How long to wait for the READY line.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
