using AkkaRepl.Client.Errors;
using AkkaRepl.Client.Pooling;
using AkkaRepl.Client.Reads;
using AkkaRepl.Client.Resp;
using AkkaRepl.Client.Sessions;
using AkkaRepl.Client.Topology;
using AkkaRepl.Client.Writes;

namespace AkkaRepl.Client;

/// <summary>
/// A client for an AkkaRepl cluster over RESP. Give it any subset of the nodes; it finds the rest and the primary,
/// sends writes to the primary and reads where the read preference and consistency level allow, and follows a
/// failover by itself. Thread-safe; one instance per application is enough (connections are pooled and pipelined).
/// <para>Failure policy. Reads are retried (on other nodes, and after a new primary is found) until the operation
/// timeout. A write is retried only when the client knows it did not commit: it was never sent (no connection), or a
/// node refused it as a replica (READONLY). A write that was sent and then lost its connection, timed out, or was
/// answered LEASELOST (the node stopped being the primary after appending it) is reported as
/// <see cref="WriteOutcomeUnknownException"/> with its <see cref="WriteId"/>, never silently retried.</para>
/// </summary>
public sealed class AkkaReplClient : IAsyncDisposable
{
    private readonly AkkaReplClientOptions _options;
    private readonly TopologyMonitor _topology;
    private readonly NodePool _pool;
    private int _turn;

    private AkkaReplClient(AkkaReplClientOptions options)
    {
        _options = options;
        _topology = new TopologyMonitor(options.Seeds.Select(NodeEndpoint.Parse), options.RefreshInterval, options.ProbeTimeout);
        _pool = new NodePool(options.ConnectionsPerNode);
    }

    /// <summary>Validates the options, probes the seeds once, and starts following the topology. Succeeds even when no
    /// node answers yet: calls then wait for one, up to their timeout.</summary>
    /// <exception cref="ArgumentException">Bad options (every problem named).</exception>
    public static async Task<AkkaReplClient> ConnectAsync(AkkaReplClientOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var client = new AkkaReplClient(options);
        await client._topology.StartAsync(ct).ConfigureAwait(false);
        return client;
    }

    /// <summary>The cluster as last seen: nodes, roles, positions, lag and round trips.</summary>
    public TopologySnapshot Topology => _topology.Current;

    /// <summary>Probes every node now.</summary>
    public Task RefreshTopologyAsync(CancellationToken ct = default) => _topology.RefreshAsync(ct);

    /// <summary>A session: its reads see its own writes and never go back in time (read-your-writes and monotonic reads).</summary>
    public ClientSession StartSession(ReadPreference? preference = null) => new(this, preference ?? _options.ReadPreference);

    public async Task<string?> GetAsync(string key, ReadPreference? preference = null, ReadConsistency? consistency = null, CancellationToken ct = default) =>
        (await ReadAsync(["GET", key], preference, consistency, ct).ConfigureAwait(false)).AsString();

    public Task<WriteResult> SetAsync(string key, string value, CancellationToken ct = default) => WriteAsync(["SET", key, value], ct);

    /// <summary>Runs a read command (GET, MGET, EXISTS...) per the preference and consistency (the options' defaults when null).</summary>
    /// <exception cref="ReadRefusedException">Every eligible node refused at that consistency until the timeout.</exception>
    /// <exception cref="NoEligibleNodeException">No reachable node fits the preference until the timeout.</exception>
    /// <exception cref="ServerErrorException">The command itself is wrong (retrying gives the same).</exception>
    public async Task<RespValue> ReadAsync(string[] command, ReadPreference? preference = null, ReadConsistency? consistency = null, CancellationToken ct = default) =>
        (await ReadCoreAsync(command, preference ?? _options.ReadPreference, consistency ?? _options.Consistency, wantApplied: false, ct).ConfigureAwait(false)).Reply;

    /// <summary>Runs a write command on the primary.</summary>
    /// <exception cref="WriteOutcomeUnknownException">Sent, and then no reply, or the node stopped being the primary before
    /// the write was acknowledged (LEASELOST): it may have committed. Never retried by the client.</exception>
    /// <exception cref="NoPrimaryException">No primary found within the timeout; nothing was written.</exception>
    /// <exception cref="WriteNotDurableException">Applied on the primary, durability not reached (policy fail).</exception>
    /// <exception cref="ServerErrorException">The command itself is wrong.</exception>
    public Task<WriteResult> WriteAsync(string[] command, CancellationToken ct = default) => WriteCoreAsync(command, wantLsn: false, ct);

    internal async Task<WriteResult> WriteCoreAsync(string[] command, bool wantLsn, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(command);
        var id = WriteId.New();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_options.OperationTimeout);
        var token = deadline.Token;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            NodeState primary;
            try { primary = await _topology.WaitForPrimaryAsync(token).ConfigureAwait(false); }
            catch (NoPrimaryException e) when (ct.IsCancellationRequested)
            {
                throw new OperationCanceledException("the write was cancelled before it was sent", e, ct); // the caller's, not the cluster's
            }
            var node = primary.Endpoint;
            Task<RespValue>[] replies;
            try
            {
                var connection = await _pool.GetAsync(node, token).ConfigureAwait(false);
                replies = await connection.SendAsync(_ => wantLsn ? [command, ["LASTLSN"]] : [command], token).ConfigureAwait(false);
            }
            catch (ConnectionLostException e) when (!e.Sent)
            {
                _topology.ReportFailure(node, e.Message); // never sent: safe to try the (maybe new) primary
                continue;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new NoPrimaryException($"write {id} was not sent within {_options.OperationTimeout.TotalMilliseconds:F0} ms; last seen: {_topology.Current}");
            }
            RespValue reply;
            try { reply = await replies[0].WaitAsync(token).ConfigureAwait(false); }
            catch (ConnectionLostException e)
            {
                _topology.ReportFailure(node, e.Message);
                throw new WriteOutcomeUnknownException(id, node.ToString(), "the connection was lost after the write was sent", e);
            }
            catch (OperationCanceledException e)
            {
                throw new WriteOutcomeUnknownException(id, node.ToString(),
                    ct.IsCancellationRequested ? "cancelled after the write was sent" : $"no reply within {_options.OperationTimeout.TotalMilliseconds:F0} ms", e);
            }
            if (reply.IsError)
            {
                var text = reply.Text ?? "";
                if (text.StartsWith("READONLY", StringComparison.Ordinal))
                {
                    _topology.ReportFailure(node, text, stillReachable: true); // a replica now: it refused, nothing was written
                    continue;
                }
                if (text.StartsWith("NOTDURABLE", StringComparison.Ordinal)) throw new WriteNotDurableException($"write {id} on {node}: {text}");
                if (text.StartsWith("LEASELOST", StringComparison.Ordinal))
                {
                    // Appended there, then the node stopped being the primary: the write survives only if the new
                    // primary received it. Not retried (it could apply twice); find the new primary for the next call.
                    _topology.ReportFailure(node, text, stillReachable: true);
                    throw new WriteOutcomeUnknownException(id, node.ToString(), text);
                }
                if (text.StartsWith("MISCONF", StringComparison.Ordinal))
                {
                    _topology.ReportFailure(node, text);
                    throw new WriteOutcomeUnknownException(id, node.ToString(), text);
                }
                throw new ServerErrorException($"write {id} on {node}: {text}");
            }
            ulong? lsn = null;
            if (wantLsn)
            {
                try { lsn = (ulong)(await replies[1].WaitAsync(token).ConfigureAwait(false)).Integer; }
                catch (Exception e) when (e is ConnectionLostException or OperationCanceledException) { /* committed; only the token is missing */ }
            }
            return new WriteResult(id, reply, node.ToString(), lsn);
        }
    }

    internal async Task<(RespValue Reply, ulong? Applied)> ReadCoreAsync(string[] command, ReadPreference preference, ReadConsistency consistency,
        bool wantApplied, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(consistency);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_options.OperationTimeout);
        var token = deadline.Token;
        string? lastRefusal = null;
        var backoff = TimeSpan.FromMilliseconds(10);
        try
        {
            while (true)
            {
                var candidates = NodeSelector.Candidates(_topology.Current, preference, consistency, Interlocked.Increment(ref _turn));
                foreach (var candidate in candidates)
                {
                    var node = candidate.Endpoint;
                    try
                    {
                        var connection = await _pool.GetAsync(node, token).ConfigureAwait(false);
                        var replies = await connection.SendAsync(c => Plan(c, command, consistency, wantApplied), token).ConfigureAwait(false);
                        var results = await Task.WhenAll(replies).WaitAsync(token).ConfigureAwait(false);
                        var reply = results[^(wantApplied ? 2 : 1)];
                        if (results.FirstOrDefault(r => r.IsError && r.Text?.StartsWith("TRYAGAIN", StringComparison.Ordinal) == true) is { } refused)
                        {
                            lastRefusal = $"{node}: {refused.Text}";
                            if (consistency.Kind == ReadConsistency.Linearizable.Kind) _topology.ReportFailure(node, refused.Text!, stillReachable: true);
                            continue;
                        }
                        if (results.FirstOrDefault(r => r.IsError) is { } error) throw new ServerErrorException($"read on {node}: {error.Text}");
                        return (reply, wantApplied ? (ulong)results[^1].Integer : null);
                    }
                    catch (ConnectionLostException e)
                    {
                        _topology.ReportFailure(node, e.Message); // reads change nothing: try the next node
                    }
                }
                if (candidates.Count == 0) _topology.RequestRefresh();
                await Task.Delay(backoff, token).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromMilliseconds(200).Ticks));
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            if (lastRefusal is not null) throw new ReadRefusedException($"read at {consistency} refused until the {_options.OperationTimeout.TotalMilliseconds:F0} ms timeout; last: {lastRefusal}");
            throw new NoEligibleNodeException($"no reachable node for a {preference} read at {consistency} within {_options.OperationTimeout.TotalMilliseconds:F0} ms; last seen: {_topology.Current}");
        }
    }

    /// <summary>The commands of one read, sent back to back: CONSISTENCY when the connection's level does not already
    /// cover the read's, the read, and APPLIEDLSN when a session wants to remember what it saw.</summary>
    private static List<string[]> Plan(MultiplexedConnection connection, string[] command, ReadConsistency consistency, bool wantApplied)
    {
        var commands = new List<string[]>(3);
        if (!connection.Consistency.Covers(consistency))
        {
            commands.Add(["CONSISTENCY", .. consistency.Arguments]);
            connection.Consistency = consistency;
        }
        commands.Add(command);
        if (wantApplied) commands.Add(["APPLIEDLSN"]);
        return commands;
    }

    public async ValueTask DisposeAsync()
    {
        await _topology.DisposeAsync().ConfigureAwait(false);
        await _pool.DisposeAsync().ConfigureAwait(false);
    }
}
