using AkkaRepl.Core.Config;
using AkkaRepl.Hosting.Store;
using AkkaRepl.Testing.Network;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Hosting.Tests.Support;

/// <summary>
/// Application hosts, each running an embedded node, on free ports. The first id is the initial primary.
/// <para>Static roles (the default): the first id starts first, so the others' configs name its real replication
/// port; members not started yet are listed with port 1 (only status probes use it).</para>
/// <para>With <see cref="Elections"/>: automatic failover on. Every node reaches each peer through a
/// <see cref="FaultProxy"/> of its own (one per direction of each pair, bound before any node starts), so every config
/// names every member's address up front with no port picking; a proxy forwards to its node once that node started.
/// <see cref="Isolate"/> cuts a node off from all others.</para>
/// </summary>
internal sealed class EmbeddedCluster : IAsyncDisposable
{
    private readonly string[] _ids;
    private readonly TempDir _dir = new();
    private readonly Dictionary<string, int> _replicationPorts = new();
    private readonly LinkProxies? _links;

    public EmbeddedCluster(params string[] ids) => _ids = ids;

    public Dictionary<string, IHost> Hosts { get; } = new();

    /// <summary>Adds to every host's services (an application state machine, for instance).</summary>
    public Action<AkkaReplBuilder>? Configure { get; init; }

    /// <summary>Extra HOCON appended to every node's config.</summary>
    public string ExtraHocon { get; init; } = "";

    /// <summary>Extra HOCON appended to one node's config (given its id), after <see cref="ExtraHocon"/>.</summary>
    public Func<string, string>? NodeHocon { get; init; }

    /// <summary>Automatic failover on, every link through a proxy. Timing: a 1 s lease and a 2 s election timeout, so a
    /// starved test machine does not lose the lease by itself.</summary>
    public bool Elections
    {
        get => _links is not null;
        init => _links = value ? new LinkProxies(_ids) : null;
    }

    public string DataDir(string id) => _dir.Sub(id);

    public IReplicatedStore Store(string id) => Hosts[id].Services.GetRequiredService<IReplicatedStore>();

    public T Service<T>(string id) where T : notnull => Hosts[id].Services.GetRequiredService<T>();

    public string Hocon(string id)
    {
        var members = string.Join(", ", _ids.Select(m => $"{{ id = {m}, replication-port = {PeerPort(id, m)}, resp-port = 1, http-port = 1 }}"));
        var election = Elections
            ? "election { heartbeat-interval = 100 ms, lease = 1 s, clock-drift-margin = 300 ms, election-timeout = 2 s }"
            // Static roles: members start on port 0, so a primary does not know its replicas' addresses when it
            // starts, and automatic failover needs every member reachable from every other (docs/failover.md).
            : "election.enabled = off";
        return $$"""
            akkarepl {
              node { node-id = {{id}}, data-dir = "{{DataDir(id)}}", resp-port = 0, http-port = 0, replication-port = {{(_replicationPorts.TryGetValue(id, out var own) ? own : 0)}} }
              cluster { members = [{{(_ids.Length > 1 ? members : "")}}], initial-primary = {{_ids[0]}} }
              replication { heartbeat-interval = 50 ms }
              {{election}}
            }
            {{ExtraHocon}}
            {{NodeHocon?.Invoke(id)}}
            """;
    }

    /// <summary>Starts every member in order, then waits until the first (the initial primary) holds its lease: a write
    /// of <paramref name="value"/> to key <c>k</c> at quorum is not degraded. Returns the first member's store.</summary>
    public async Task<IReplicatedStore> StartAllAsync(TimeSpan patience, string value = "v")
    {
        foreach (var id in _ids) await StartAsync(id);
        var store = Store(_ids[0]);
        await AkkaRepl.Testing.Waits.Eventually.WaitAsync(
            async () => !(await store.SetAsync("k", value, AkkaRepl.Replication.Primary.Durability.Quorum)).Degraded,
            patience, $"{_ids[0]} holds its lease and writes at quorum");
        return store;
    }

    public async Task<IHost> StartAsync(string id)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddHoconString(Hocon(id), $"{id}.conf");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var akka = builder.Services.AddAkkaRepl(builder.Configuration);
        Configure?.Invoke(akka);
        var host = builder.Build();
        await host.StartAsync();
        Hosts[id] = host;
        _replicationPorts[id] = ReplicationPortOf(host);
        _links?.Target(id, _replicationPorts[id]);
        return host;
    }

    public async Task StopAsync(string id)
    {
        var host = Hosts[id];
        Hosts.Remove(id);
        await host.StopAsync();
        host.Dispose();
    }

    /// <summary>Blackholes every link to and from <paramref name="id"/> (elections mode only).</summary>
    public void Isolate(string id) => SetLinks(id, LinkMode.Blackhole);

    /// <summary>The proxy <paramref name="from"/> dials to reach <paramref name="to"/> (elections mode only).</summary>
    public FaultProxy Link(string from, string to) => (_links ?? throw new InvalidOperationException("links are proxied only with Elections = true"))[from, to];

    /// <summary>Lets every link to and from <paramref name="id"/> pass again.</summary>
    public void Heal(string id) => SetLinks(id, LinkMode.Pass);

    private void SetLinks(string id, LinkMode mode) =>
        (_links ?? throw new InvalidOperationException("links are proxied only with Elections = true")).SetMode(id, mode);

    /// <summary>The port <paramref name="self"/> dials to reach <paramref name="peer"/>: its proxy, else the real port (1 when unknown).</summary>
    private int PeerPort(string self, string peer) =>
        _links is not null && self != peer ? _links[self, peer].Port
        : _replicationPorts.TryGetValue(peer, out var port) ? port : 1;

    private static int ReplicationPortOf(IHost host) =>
        host.Services.GetRequiredService<Node.EmbeddedNode>().Running.ReplicationPort;

    public async ValueTask DisposeAsync()
    {
        foreach (var id in Hosts.Keys.ToList()) await StopAsync(id);
        if (_links is not null) await _links.DisposeAsync();
        _dir.Dispose();
    }
}
