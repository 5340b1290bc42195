using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Server.Node;
using AkkaRepl.Testing.Network;

namespace AkkaRepl.Server.Tests.Node;

/// <summary>
/// Nodes of one replication group hosted in the test process, on free ports. The primary starts first so the
/// replicas' configs can name its real replication port; other members' ports are only used for status probes.
/// <para>With <see cref="Elections"/>: automatic failover on. Every node reaches each peer's replication port through a
/// proxy of its own (<see cref="LinkProxies"/>, bound before any node starts), so every config names every member up
/// front, and a proxy forwards to its node once that node started (again after a restart on another port). Status
/// probes reach the HTTP ports of the members running when a node starts.</para>
/// </summary>
internal sealed class InProcessCluster : IAsyncDisposable
{
    private readonly List<TempDataDir> _dirs = [];
    public CapturingLoggerFactory Logs { get; } = new();
    public Dictionary<string, NodeHost> Nodes { get; } = new();
    public Dictionary<string, AkkaReplOptions> Options { get; } = new();
    private readonly string[] _ids;
    private readonly LinkProxies? _links;
    private readonly List<RoleChange> _stoppedNodesRoleChanges = [];

    public InProcessCluster(params string[] ids) => _ids = ids;

    /// <summary>Automatic failover on, every replication link through a proxy. Timing: a 1 s lease and a 2 s election
    /// timeout, so a starved test machine does not lose the lease by itself.</summary>
    public bool Elections
    {
        get => _links is not null;
        init => _links = value ? new LinkProxies(_ids) : null;
    }

    public NodeHost this[string id] => Nodes[id];

    /// <summary>The members as <paramref name="self"/> reaches them (through its proxies with <see cref="Elections"/>).</summary>
    public IReadOnlyList<MemberOptions> Members(string? self = null) => _ids.Select(id =>
    {
        var member = Nodes.TryGetValue(id, out var n)
            ? new MemberOptions { Id = id, ReplicationPort = n.ReplicationPort, RespPort = n.RespPort, HttpPort = n.HttpPort, Voting = !NonVoting.Contains(id) }
            : new MemberOptions { Id = id, ReplicationPort = 1, RespPort = 1, HttpPort = 1, Voting = !NonVoting.Contains(id) };
        return _links is not null && self is not null && self != id ? member with { ReplicationPort = _links[self, id].Port } : member;
    }).ToList();

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
                // Static roles and manual promotion unless Elections: without the proxies, members' ports are only
                // known once each node has started.
                Election = Elections
                    ? new ElectionOptions { Lease = TimeSpan.FromSeconds(1), ClockDriftMargin = TimeSpan.FromMilliseconds(300), ElectionTimeout = TimeSpan.FromSeconds(2) }
                    : new ElectionOptions { Enabled = false },
            };
            options = Tune(options);
        }
        options = options with
        {
            Cluster = new ClusterOptions { Members = Members(id), InitialPrimary = _ids[0] },
            Replication = replication?.Invoke(options.Replication) ?? options.Replication,
        };
        Options[id] = options;
        return options;
    }

    public async Task<NodeHost> StartAsync(string id, Func<ReplicationOptions, ReplicationOptions>? replication = null)
    {
        var node = await NodeHost.StartAsync(OptionsFor(id, replication), Logs, default);
        Started(id, node);
        return node;
    }

    private void Started(string id, NodeHost node)
    {
        Nodes[id] = node;
        _links?.Target(id, node.ReplicationPort);
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
        Started(id, node);
        return node;
    }

    public async Task StopAsync(string id)
    {
        var node = Nodes[id];
        await node.DisposeAsync();
        _stoppedNodesRoleChanges.AddRange(node.Coordinator.RecentEvents);
        Nodes.Remove(id);
        _links?.Target(id, null);
    }

    /// <summary>The role changes of every node run so far, stopped ones included (the last 50 of each run).</summary>
    public IReadOnlyList<RoleChange> RoleChanges() =>
        [.. _stoppedNodesRoleChanges, .. Nodes.Values.SelectMany(n => n.Coordinator.RecentEvents)];

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
        if (_links is not null) await _links.DisposeAsync();
        foreach (var dir in _dirs) dir.Dispose();
    }
}
