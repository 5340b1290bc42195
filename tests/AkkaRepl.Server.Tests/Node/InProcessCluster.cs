using AkkaRepl.Core.Options;
using AkkaRepl.Server.Node;

namespace AkkaRepl.Server.Tests.Node;

/// <summary>
/// Nodes of one replication group hosted in the test process, on free ports. The primary starts first so the
/// replicas' configs can name its real replication port; other members' ports are only used for status probes.
/// </summary>
internal sealed class InProcessCluster : IAsyncDisposable
{
    private readonly List<TempDataDir> _dirs = [];
    public CapturingLoggerFactory Logs { get; } = new();
    public Dictionary<string, NodeHost> Nodes { get; } = new();
    public Dictionary<string, AkkaReplOptions> Options { get; } = new();
    private readonly string[] _ids;

    public InProcessCluster(params string[] ids) => _ids = ids;

    public NodeHost this[string id] => Nodes[id];

    public IReadOnlyList<MemberOptions> Members() => _ids.Select(id => Nodes.TryGetValue(id, out var n)
        ? new MemberOptions { Id = id, ReplicationPort = n.ReplicationPort, RespPort = n.RespPort, HttpPort = n.HttpPort, Voting = !NonVoting.Contains(id) }
        : new MemberOptions { Id = id, ReplicationPort = 1, RespPort = 1, HttpPort = 1, Voting = !NonVoting.Contains(id) }).ToList();

    /// <summary>Members configured as non-voting (they replicate but are never counted toward a majority).</summary>
    public IReadOnlySet<string> NonVoting { get; init; } = new HashSet<string>();

    /// <summary>Applied to every node's options when first made (small segments, frequent snapshots, ...).</summary>
    public Func<AkkaReplOptions, AkkaReplOptions> Tune { get; init; } = o => o;

    public AkkaReplOptions OptionsFor(string id, Func<ReplicationOptions, ReplicationOptions>? replication = null)
    {
        if (!Options.TryGetValue(id, out var options))
        {
            var dir = new TempDataDir();
            _dirs.Add(dir);
            options = new AkkaReplOptions
            {
                Node = new NodeOptions { NodeId = id, DataDir = dir.Path, RespPort = 0, HttpPort = 0, ReplicationPort = 0 },
                Replication = new ReplicationOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(50) },
                // Static roles and manual promotion: members' ports are only known once each node has started, and
                // automatic failover is tested with real processes (tests/AkkaRepl.MultiNode.Tests/AutomaticFailoverSpec).
                Election = new ElectionOptions { Enabled = false },
            };
            options = Tune(options);
        }
        options = options with
        {
            Cluster = new ClusterOptions { Members = Members(), InitialPrimary = _ids[0] },
            Replication = replication?.Invoke(options.Replication) ?? options.Replication,
        };
        Options[id] = options;
        return options;
    }

    public async Task<NodeHost> StartAsync(string id, Func<ReplicationOptions, ReplicationOptions>? replication = null)
    {
        var node = await NodeHost.StartAsync(OptionsFor(id, replication), Logs, default);
        Nodes[id] = node;
        return node;
    }

    /// <summary>Stops a node and starts it again on the same ports (so peers reach it), with every member's
    /// current ports in its config.</summary>
    public async Task<NodeHost> RestartAsync(string id)
    {
        var old = Nodes[id];
        var (resp, http, repl) = (old.RespPort, old.HttpPort, old.ReplicationPort);
        await StopAsync(id);
        var options = OptionsFor(id);
        Options[id] = options with { Node = options.Node with { RespPort = resp, HttpPort = http, ReplicationPort = repl } };
        var node = await NodeHost.StartAsync(Options[id] with { Cluster = options.Cluster }, Logs, default);
        Nodes[id] = node;
        return node;
    }

    public async Task StopAsync(string id)
    {
        await Nodes[id].DisposeAsync();
        Nodes.Remove(id);
    }

    /// <summary>Runs a spec body; when it fails, every node's log goes to the test output before the failure.</summary>
    public async Task RunAsync(Xunit.Abstractions.ITestOutputHelper output, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch
        {
            output.WriteLine(Logs.Dump());
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes.Values) await node.DisposeAsync();
        foreach (var dir in _dirs) dir.Dispose();
    }
}
