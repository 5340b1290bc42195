using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Replication.Reads;
using AkkaRepl.Server.Node;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Reads;

/// <summary>
/// Serves each consistency level on a real node (contract G6):
/// <list type="bullet">
/// <item><c>eventual</c>: at once.</item>
/// <item><c>read-your-writes LSN</c>: once the applier reached LSN, waiting for it (an async waiter keyed by LSN, no
/// thread) up to <c>akkarepl.reads.wait-timeout</c>.</item>
/// <item><c>bounded-staleness D</c>: on the primary at once; on a replica only while its state is at most D behind
/// the primary's clock (see <see cref="ReplicaFreshness"/>).</item>
/// <item><c>linearizable</c>: on the primary only, after <see cref="ILeadershipConfirmation"/> confirmed it is still
/// primary (a round that began after the read did); after the read, the answer waits until everything the read
/// could have seen (the store's applied LSN, taken after the read) is committed at quorum, so a value a failover
/// could take away is never shown.</item>
/// </list>
/// </summary>
public sealed class NodeReadGate : IReadGate
{
    private readonly NodeHost _node;
    private readonly ReplicaFreshness _freshness;
    private ILeadershipConfirmation? _leadership; // made on first use: the coordinator exists only once the node started

    public NodeReadGate(NodeHost node)
    {
        _node = node;
        _freshness = new ReplicaFreshness(node);
    }

    /// <summary>The leadership check linearizable reads use; the read-index round trip unless replaced (the lease, later).</summary>
    public ILeadershipConfirmation Leadership
    {
        get => _leadership ??= new ReadIndexConfirmation(_node.Coordinator, _node.ReadOptions.LeadershipTimeout);
        set => _leadership = value;
    }

    /// <summary>A read-your-writes token already applied here: <see cref="AdmitAsync"/> would answer null at once and
    /// <see cref="CompleteAsync"/> has nothing to do for it.</summary>
    public bool AdmitsAtOnce(ReadConsistency level) =>
        level.Kind == ReadConsistencyKind.ReadYourWrites && _node.Applier.AppliedLsn >= new Lsn(level.Token);

    public async ValueTask<KvReply?> AdmitAsync(ReadConsistency level, CancellationToken ct)
    {
        switch (level.Kind)
        {
            case ReadConsistencyKind.ReadYourWrites:
                return await WaitForTokenAsync(level.Token, ct).ConfigureAwait(false);
            case ReadConsistencyKind.BoundedStaleness:
                // The primary's state is current once the log it inherited is applied; until then it is judged like a
                // replica's, by the newest record it applied.
                if (_node.AcceptsWrites && InheritedLogStart() is null) return null;
                var lag = _freshness.Staleness();
                if (lag is null) return ReadErrors.FreshnessUnknown(_node.NodeId.Value, level.Bound, PrimaryText());
                return lag <= level.Bound ? null : ReadErrors.TooStale(_node.NodeId.Value, lag.Value, level.Bound, PrimaryText());
            case ReadConsistencyKind.Linearizable:
                if (!_node.AcceptsWrites) return ReadErrors.NotPrimary(_node.NodeId.Value, PrimaryText());
                var timeout = _node.ReadOptions.LeadershipTimeout;
                bool confirmed;
                try { confirmed = await Leadership.ConfirmLeadershipAsync(ct).WaitAsync(timeout, ct).ConfigureAwait(false); }
                catch (TimeoutException) { confirmed = false; }
                return confirmed ? await WaitForInheritedLogAsync(timeout, ct).ConfigureAwait(false)
                    : ReadErrors.NotConfirmed(_node.NodeId.Value, timeout, PrimaryText());
            default:
                return null;
        }
    }

    public async ValueTask<KvReply?> CompleteAsync(ReadConsistency level, Lsn seen, CancellationToken ct)
    {
        if (level.Kind != ReadConsistencyKind.Linearizable) return null;
        if (_node.Coordinator.Gate is not { } gate) return ReadErrors.NotPrimary(_node.NodeId.Value, PrimaryText());
        if (gate.DurableAt(Durability.Quorum) >= seen) return null;
        var timeout = _node.ReadOptions.LeadershipTimeout;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(timeout);
        try
        {
            await gate.WaitForAsync(seen, Durability.Quorum, wait.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return ReadErrors.NotCommitted(seen.Value, timeout, PrimaryText());
        }
    }

    /// <summary>A primary's own writes are applied before they are acknowledged, but the log it inherited (written by
    /// earlier primaries, some of it acknowledged by them) may still be on its way through the applier, e.g. just after
    /// a promotion: the state must hold everything before this generation's first record before it answers.</summary>
    private async ValueTask<KvReply?> WaitForInheritedLogAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (_node.Coordinator.WritingGeneration is null) return ReadErrors.NotPrimary(_node.NodeId.Value, PrimaryText());
        if (InheritedLogStart() is not { } start) return null;
        var applier = _node.Applier;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(timeout);
        try
        {
            await applier.WaitForAppliedAsync(start, wait.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return ReadErrors.NotCaughtUp(_node.NodeId.Value, start.Value, applier.AppliedLsn.Value, timeout, PrimaryText());
        }
    }

    /// <summary>On a primary whose applier has not yet applied everything before its generation's first record: that
    /// record's LSN. Null when it has (or this node writes in no generation).</summary>
    private Lsn? InheritedLogStart()
    {
        if (_node.Coordinator.WritingGeneration is not { } generation) return null;
        return _node.History.StartOf(generation) is { } start && _node.Applier.AppliedLsn < start ? start : null;
    }

    private async ValueTask<KvReply?> WaitForTokenAsync(ulong token, CancellationToken ct)
    {
        var applier = _node.Applier;
        var target = new Lsn(token);
        if (applier.AppliedLsn >= target) return null;
        var timeout = _node.ReadOptions.WaitTimeout;
        if (timeout > TimeSpan.Zero)
        {
            // The timeout cancels the wait itself, so a read that gave up leaves nothing queued in the applier.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(timeout);
            try
            {
                await applier.WaitForAppliedAsync(target, wait.Token).ConfigureAwait(false);
                return null;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { /* timed out: answered below */ }
        }
        return ReadErrors.NotApplied(_node.NodeId.Value, token, applier.AppliedLsn.Value, timeout, PrimaryText());
    }

    private string PrimaryText()
    {
        var id = _node.Coordinator.PrimaryId;
        var member = id is null ? null : _node.Members.FirstOrDefault(m => m.Id == id);
        if (id is not null && id == _node.NodeId.Value) // itself: its real port (the member list may name a configured one)
            return ReadErrors.Primary(id, member?.Host ?? "127.0.0.1", _node.RespPort);
        return ReadErrors.Primary(id, member?.Host, member?.RespPort);
    }
}
