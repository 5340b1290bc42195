using AkkaRepl.Core.Config;
using AkkaRepl.Hosting.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Hosting.Tests.Support;

/// <summary>
/// Application hosts, each running an embedded node, on free ports. The first id is the initial primary and starts
/// first, so the others' configs name its real replication port. Members not started yet are listed with port 1
/// (only status probes use it).
/// </summary>
internal sealed class EmbeddedCluster(params string[] ids) : IAsyncDisposable
{
    private readonly TempDir _dir = new();
    private readonly Dictionary<string, int> _replicationPorts = new();
    public Dictionary<string, IHost> Hosts { get; } = new();

    /// <summary>Adds to every host's services (an application state machine, for instance).</summary>
    public Action<AkkaReplBuilder>? Configure { get; init; }

    /// <summary>Extra HOCON appended to every node's config.</summary>
    public string ExtraHocon { get; init; } = "";

    public string DataDir(string id) => _dir.Sub(id);

    public IReplicatedStore Store(string id) => Hosts[id].Services.GetRequiredService<IReplicatedStore>();

    public T Service<T>(string id) where T : notnull => Hosts[id].Services.GetRequiredService<T>();

    public string Hocon(string id)
    {
        var members = string.Join(", ", ids.Select(m =>
            $"{{ id = {m}, replication-port = {(_replicationPorts.TryGetValue(m, out var p) ? p : 1)}, resp-port = 1, http-port = 1 }}"));
        return $$"""
            akkarepl {
              node { node-id = {{id}}, data-dir = "{{DataDir(id)}}", resp-port = 0, http-port = 0, replication-port = {{(_replicationPorts.TryGetValue(id, out var own) ? own : 0)}} }
              cluster { members = [{{(ids.Length > 1 ? members : "")}}], initial-primary = {{ids[0]}} }
              replication { heartbeat-interval = 50 ms }
              # Static roles: members start on port 0, so a primary does not know its replicas' addresses when it
              # starts, and automatic failover needs every member reachable from every other (docs/failover.md).
              election.enabled = off
            }
            {{ExtraHocon}}
            """;
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
        return host;
    }

    public async Task StopAsync(string id)
    {
        var host = Hosts[id];
        Hosts.Remove(id);
        await host.StopAsync();
        host.Dispose();
    }

    private static int ReplicationPortOf(IHost host) =>
        host.Services.GetRequiredService<Node.EmbeddedNode>().Running.ReplicationPort;

    public async ValueTask DisposeAsync()
    {
        foreach (var id in Hosts.Keys.ToList()) await StopAsync(id);
        _dir.Dispose();
    }
}
