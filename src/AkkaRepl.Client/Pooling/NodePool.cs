using AkkaRepl.Client.Topology;

namespace AkkaRepl.Client.Pooling;

/// <summary>
/// A few multiplexed connections per node, opened on first use and replaced when they break; callers are spread
/// round-robin over them. Thread-safe.
/// </summary>
internal sealed class NodePool(int connectionsPerNode) : IAsyncDisposable
{
    private readonly Dictionary<NodeEndpoint, MultiplexedConnection?[]> _pools = new();
    private readonly object _gate = new();
    private int _next;
    private bool _disposed;

    /// <exception cref="ConnectionLostException">The node cannot be reached (nothing was sent).</exception>
    public async Task<MultiplexedConnection> GetAsync(NodeEndpoint node, CancellationToken ct)
    {
        var slot = (int)((uint)Interlocked.Increment(ref _next) % (uint)connectionsPerNode);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_pools.TryGetValue(node, out var slots)) _pools[node] = slots = new MultiplexedConnection?[connectionsPerNode];
            if (slots[slot] is { IsBroken: false } ready) return ready;
        }
        // Connect outside the lock (a slow node must not hold up others); a racing caller's connection wins, ours is closed.
        var fresh = await MultiplexedConnection.ConnectAsync(node, ct).ConfigureAwait(false);
        MultiplexedConnection? replaced;
        lock (_gate)
        {
            var slots = _pools.TryGetValue(node, out var s) ? s : _pools[node] = new MultiplexedConnection?[connectionsPerNode];
            if (_disposed || slots[slot] is { IsBroken: false })
            {
                replaced = fresh;
                fresh = slots[slot]!;
            }
            else
            {
                replaced = slots[slot];
                slots[slot] = fresh;
            }
        }
        if (replaced is not null) await replaced.DisposeAsync().ConfigureAwait(false);
        ObjectDisposedException.ThrowIf(fresh is null, this);
        return fresh;
    }

    public async ValueTask DisposeAsync()
    {
        List<MultiplexedConnection> all;
        lock (_gate)
        {
            _disposed = true;
            all = _pools.Values.SelectMany(s => s).OfType<MultiplexedConnection>().ToList();
            _pools.Clear();
        }
        foreach (var c in all) await c.DisposeAsync().ConfigureAwait(false);
    }
}
