using System.Diagnostics;
using System.Globalization;
using AkkaRepl.Client.Errors;
using AkkaRepl.Client.Pooling;
using AkkaRepl.Client.Resp;

namespace AkkaRepl.Client.Topology;

/// <summary>
/// Finds and follows the cluster's shape from any subset of its nodes: asks every known node <c>ROLE</c> (a primary
/// lists its replicas and their positions, a replica names its primary), adds the nodes it learns of, and measures
/// each round trip. Runs every <c>refreshInterval</c>, and at once when a caller reports a failure.
/// Probes use their own connections, so a probe never queues behind a busy pipeline: the round trip measured is
/// the network's plus the node's own load, which is what <see cref="Reads.ReadPreference.Nearest"/> should compare.
/// </summary>
internal sealed class TopologyMonitor : IAsyncDisposable
{
    private readonly NodePool _probes = new(1);
    private readonly TimeSpan _refreshInterval;
    private readonly TimeSpan _probeTimeout;
    private readonly object _gate = new();
    private readonly Dictionary<NodeEndpoint, NodeState> _nodes = new(); // guarded by _gate
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile TopologySnapshot _current = TopologySnapshot.Empty;
    private Task _loop = Task.CompletedTask;

    public TopologyMonitor(IEnumerable<NodeEndpoint> seeds, TimeSpan refreshInterval, TimeSpan probeTimeout)
    {
        _refreshInterval = refreshInterval;
        _probeTimeout = probeTimeout;
        foreach (var seed in seeds)
            _nodes[seed] = new NodeState(seed, NodeRoleKind.Unknown, 0, null, null, Reachable: false, DateTimeOffset.MinValue);
        _current = new TopologySnapshot(_nodes.Values.ToList());
    }

    public TopologySnapshot Current => _current;

    /// <summary>Probes now, then keeps probing in the background.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        await RefreshAsync(ct).ConfigureAwait(false);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>A caller saw <paramref name="node"/> fail (or refuse as a replica): mark it, and probe everyone soon.</summary>
    public void ReportFailure(NodeEndpoint node, string error, bool stillReachable = false)
    {
        lock (_gate)
        {
            if (_nodes.TryGetValue(node, out var state))
                _nodes[node] = state with { Reachable = stillReachable && state.Reachable, Role = stillReachable ? NodeRoleKind.Unknown : state.Role, LastError = error };
            _current = new TopologySnapshot(_nodes.Values.ToList());
        }
        _wake.TrySetResult();
    }

    /// <summary>Probes everyone soon (in the background).</summary>
    public void RequestRefresh() => _wake.TrySetResult();

    /// <summary>The primary, probing (with backoff) until one answers or <paramref name="ct"/> ends.</summary>
    /// <exception cref="NoPrimaryException">None found before <paramref name="ct"/> was cancelled.</exception>
    public async Task<NodeState> WaitForPrimaryAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            if (_current.Primary is { } primary) return primary;
            try
            {
                await RefreshAsync(ct).ConfigureAwait(false);
                if (_current.Primary is { } found) return found;
                await Task.Delay(backoff, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException e)
            {
                throw new NoPrimaryException($"no node answered as primary; last seen: {_current}", e);
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromMilliseconds(250).Ticks));
        }
    }

    /// <summary>Probes every known node once (concurrent callers share the probe in progress).</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        if (!await _refreshing.WaitAsync(0, ct).ConfigureAwait(false))
        {
            // Someone is probing: wait for their result rather than probing twice.
            await _refreshing.WaitAsync(ct).ConfigureAwait(false);
            _refreshing.Release();
            return;
        }
        try
        {
            List<NodeEndpoint> known;
            lock (_gate) known = _nodes.Keys.ToList();
            var probed = new HashSet<NodeEndpoint>();
            // New nodes learned from a probe are probed in the next pass of this refresh.
            while (known.Count > 0)
            {
                var results = await Task.WhenAll(known.Select(n => ProbeAsync(n, ct))).ConfigureAwait(false);
                probed.UnionWith(known);
                lock (_gate)
                {
                    foreach (var (state, learned) in results)
                    {
                        _nodes[state.Endpoint] = state;
                        foreach (var (endpoint, lag) in learned)
                        {
                            if (!_nodes.TryGetValue(endpoint, out var existing))
                                _nodes[endpoint] = new NodeState(endpoint, NodeRoleKind.Unknown, 0, lag, null, false, DateTimeOffset.MinValue);
                            else if (lag is not null && existing.Role == NodeRoleKind.Replica)
                                _nodes[endpoint] = existing with { LagBytes = lag };
                        }
                    }
                    _current = new TopologySnapshot(_nodes.Values.ToList());
                    known = _nodes.Keys.Where(k => !probed.Contains(k)).ToList();
                }
            }
        }
        finally { _refreshing.Release(); }
    }

    private async Task<(NodeState State, List<(NodeEndpoint, ulong?)> Learned)> ProbeAsync(NodeEndpoint node, CancellationToken ct)
    {
        NodeState? previous;
        lock (_gate) _nodes.TryGetValue(node, out previous);
        var learned = new List<(NodeEndpoint, ulong?)>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_probeTimeout);
        try
        {
            var connection = await _probes.GetAsync(node, timeout.Token).ConfigureAwait(false);
            var started = Stopwatch.GetTimestamp();
            var replies = await connection.SendAsync(_ => [["ROLE"]], timeout.Token).ConfigureAwait(false);
            var role = await replies[0].WaitAsync(timeout.Token).ConfigureAwait(false);
            var rtt = Stopwatch.GetElapsedTime(started);
            var smoothed = previous?.RoundTrip is { } old ? TimeSpan.FromTicks((long)(old.Ticks * 0.7 + rtt.Ticks * 0.3)) : rtt;
            var items = role.Items ?? throw new RespProtocolException($"ROLE from {node} answered {role}");
            switch (items[0].AsString())
            {
                case "master":
                    var offset = (ulong)items[1].Integer;
                    foreach (var replica in items[2].Items ?? [])
                    {
                        var r = replica.Items!;
                        var endpoint = new NodeEndpoint(r[0].AsString()!, int.Parse(r[1].AsString()!, CultureInfo.InvariantCulture));
                        var replicaOffset = ulong.Parse(r[2].AsString()!, CultureInfo.InvariantCulture);
                        learned.Add((endpoint, offset > replicaOffset ? offset - replicaOffset : 0));
                    }
                    return (new NodeState(node, NodeRoleKind.Primary, offset, null, smoothed, true, DateTimeOffset.UtcNow), learned);
                case "slave":
                    // A replica that knows no primary (between primaries) names host "?" and port 0: nothing to learn.
                    if (items[1].AsString() is { Length: > 0 } host && host != "?" && items[2].Integer is >= 1 and <= 65535)
                        learned.Add((new NodeEndpoint(host, (int)items[2].Integer), null));
                    return (new NodeState(node, NodeRoleKind.Replica, (ulong)items[4].Integer, previous?.LagBytes, smoothed, true, DateTimeOffset.UtcNow), learned);
                default:
                    throw new RespProtocolException($"ROLE from {node} answered {role}");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return (new NodeState(node, previous?.Role ?? NodeRoleKind.Unknown, previous?.Offset ?? 0, previous?.LagBytes, previous?.RoundTrip,
                false, DateTimeOffset.UtcNow, e.Message), learned);
        }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var wake = _wake.Task;
            try
            {
                await Task.WhenAny(wake, Task.Delay(_refreshInterval, _stop.Token)).ConfigureAwait(false);
                if (wake.IsCompleted) Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                if (_stop.IsCancellationRequested) return;
                await RefreshAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { return; }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        await _probes.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
