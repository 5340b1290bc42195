using System.Net;

namespace AkkaRepl.Core.Options;

/// <summary>Who this node is and where it listens. HOCON path <c>akkarepl.node</c>.</summary>
public sealed record NodeOptions : IValidatableOptions
{
    /// <summary>This member's id (see <see cref="Ids.NodeId"/>).</summary>
    public string NodeId { get; init; } = "node1";
    /// <summary>The replication group's id; peers with another id are refused at the handshake. Same rules as a node id.</summary>
    public string ClusterId { get; init; } = "akkarepl";
    /// <summary>Directory of the WAL, snapshots and node state. Relative paths are relative to the working directory.</summary>
    public string DataDir { get; init; } = "akkarepl-data/node1";
    /// <summary>Address every listener binds to. Loopback by default: nothing is exposed until the operator says so.</summary>
    public string BindAddress { get; init; } = "127.0.0.1";
    /// <summary>Redis-protocol client port; 0 picks a free port (the READY line says which).</summary>
    [OptionRange(0, 65535, Hint = "0 picks a free port")]
    public int RespPort { get; init; } = 7379;
    /// <summary>HTTP admin port (/status, /health); 0 picks a free port.</summary>
    [OptionRange(0, 65535, Hint = "0 picks a free port")]
    public int HttpPort { get; init; } = 7380;
    /// <summary>Replication port for other members; 0 picks a free port.</summary>
    [OptionRange(0, 65535, Hint = "0 picks a free port")]
    public int ReplicationPort { get; init; } = 7381;
    /// <summary>A stall of the whole process (GC, no CPU) or a thread-pool queue delay this long is logged as a warning
    /// (<see cref="Diagnostics.StallMonitor"/>); 0 switches the monitor off.</summary>
    [OptionRange("0 ms", "1 h", Hint = "0 switches it off")]
    public TimeSpan StallWarning { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <inheritdoc />
    public void Validate(OptionsValidationContext context)
    {
        const string idRule = "use 1-64 characters of letters, digits, '-', '_' or '.'";
        if (!Ids.NodeId.IsValid(NodeId))
            context.Add($"{context.PathOf(nameof(NodeId))} = '{NodeId}' is not a valid node id: {idRule}");
        if (!Ids.NodeId.IsValid(ClusterId))
            context.Add($"{context.PathOf(nameof(ClusterId))} = '{ClusterId}' is not a valid cluster id: {idRule}");
        if (string.IsNullOrWhiteSpace(DataDir))
            context.Add($"{context.PathOf(nameof(DataDir))} is empty: expected the directory that holds the WAL and snapshots");
        if (!IPAddress.TryParse(BindAddress, out _) && Uri.CheckHostName(BindAddress) != UriHostNameType.Dns)
            context.Add($"{context.PathOf(nameof(BindAddress))} = '{BindAddress}' is not an IP address or host name");

        if (StallWarning > TimeSpan.Zero && StallWarning <= Diagnostics.StallMonitor.Interval)
            context.Add($"{context.PathOf(nameof(StallWarning))} = {StallWarning.TotalMilliseconds:0.###} ms is not above the monitor's {Diagnostics.StallMonitor.Interval.TotalMilliseconds:0} ms interval: use more than {Diagnostics.StallMonitor.Interval.TotalMilliseconds:0} ms, or 0 ms to switch it off");

        // Each listener needs its own port; 0 (a free port) may repeat.
        var ports = new[] { (nameof(RespPort), RespPort), (nameof(HttpPort), HttpPort), (nameof(ReplicationPort), ReplicationPort) };
        for (var i = 0; i < ports.Length; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (ports[i].Item2 != 0 && ports[i].Item2 == ports[j].Item2)
                    context.Add($"{context.PathOf(ports[i].Item1)} = {ports[i].Item2} is also {context.PathOf(ports[j].Item1)}: each listener needs its own port (or 0 for a free one)");
            }
        }
    }
}
