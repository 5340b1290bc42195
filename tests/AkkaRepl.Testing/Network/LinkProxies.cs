using System.Net;

namespace AkkaRepl.Testing.Network;

/// <summary>
/// A <see cref="FaultProxy"/> for each direction of each pair of nodes, bound before any node starts: nodes hosted in
/// the test process start on port 0, so with automatic failover (every member must reach every other) each node's
/// config names its proxy to each peer up front, and a proxy forwards to its node once that node started.
/// </summary>
public sealed class LinkProxies : IAsyncDisposable
{
    private readonly Dictionary<(string From, string To), FaultProxy> _links = new();

    public LinkProxies(IEnumerable<string> ids)
    {
        var all = ids.ToList();
        foreach (var from in all)
            foreach (var to in all.Where(to => to != from))
                _links[(from, to)] = FaultProxy.Start(null, $"{from}->{to}");
    }

    /// <summary>The proxy <paramref name="from"/> dials to reach <paramref name="to"/>.</summary>
    public FaultProxy this[string from, string to] => _links[(from, to)];

    /// <summary>Points every link to <paramref name="id"/> at its replication port on loopback; null once it stopped
    /// (new connections are then reset, as if nothing listened).</summary>
    public void Target(string id, int? port)
    {
        foreach (var ((_, to), proxy) in _links)
            if (to == id) proxy.Target = port is { } p ? new IPEndPoint(IPAddress.Loopback, p) : null;
    }

    /// <summary>Sets both directions of every link to and from <paramref name="id"/> to <paramref name="mode"/>.</summary>
    public void SetMode(string id, LinkMode mode)
    {
        foreach (var ((from, to), proxy) in _links)
            if (from == id || to == id) proxy.SetMode(mode);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in _links.Values) await proxy.DisposeAsync().ConfigureAwait(false);
    }
}
