using AkkaRepl.Core.Ids;

namespace AkkaRepl.Replication.Primary;

/// <summary>
/// Decides how far the log is durable at each level, from the primary's own flushed position and the
/// positions its replicas acknowledged. Pure and single-threaded: the owner serializes calls and releases
/// waiters from what it returns, so the rule is tested without clocks or sockets.
/// <para>Invariant: every level also requires the primary's own flush (so a receipt never claims more than
/// the primary holds), and positions only move forward: a replica that reconnects with a lower position
/// cannot move a level back below a write that was already acknowledged.</para>
/// </summary>
public sealed class CommitTracker
{
    private readonly Dictionary<NodeId, ReplicaPosition> _replicas = new();
    private readonly int _votingMembers;
    private readonly HashSet<NodeId>? _votingReplicas;   // null: every replica votes
    private readonly bool _primaryVotes;
    private Lsn _primaryFlushed;

    /// <param name="replicas">The replicas that count toward durability.</param>
    /// <param name="votingMembers">Members whose majority makes a quorum, the primary included.</param>
    /// <param name="votingReplicas">The replicas among <paramref name="replicas"/> that vote in elections (null: all). Only
    /// their flushes count toward <c>quorum</c>: a write is safe from a new election (G1) only once a majority of the
    /// voters hold it, since a winner needs the votes of a majority and each voter checks the candidate's log.</param>
    /// <param name="primaryVotes">Whether the primary itself is a voter (its own flush then counts toward a quorum).</param>
    public CommitTracker(IEnumerable<NodeId> replicas, int votingMembers, IEnumerable<NodeId>? votingReplicas = null, bool primaryVotes = true)
    {
        foreach (var r in replicas) _replicas[r] = default;
        if (votingMembers < 1) throw new ArgumentOutOfRangeException(nameof(votingMembers), "a cluster has at least one voting member");
        _votingMembers = votingMembers;
        _votingReplicas = votingReplicas?.ToHashSet();
        _primaryVotes = primaryVotes;
    }

    public Lsn PrimaryFlushed => _primaryFlushed;

    public IReadOnlyDictionary<NodeId, ReplicaPosition> Replicas => _replicas;

    /// <summary>Flushes (counting the primary) a quorum needs.</summary>
    public int QuorumSize => _votingMembers / 2 + 1;

    public void PrimaryFlushedTo(Lsn lsn) => _primaryFlushed = Lsn.Max(_primaryFlushed, lsn);

    /// <summary>Records a replica's acknowledgement; returns false for a replica that is not a member.</summary>
    public bool ReplicaAcked(NodeId replica, ReplicaPosition position)
    {
        if (!_replicas.TryGetValue(replica, out var known)) return false;
        _replicas[replica] = new ReplicaPosition(
            Lsn.Max(known.Write, position.Write),
            Lsn.Max(known.Flush, position.Flush),
            Lsn.Max(known.Apply, position.Apply));
        return true;
    }

    /// <summary>The end of the log that is durable at <paramref name="level"/>: a write ending at or before it has reached that level.</summary>
    public Lsn DurableAt(Durability level) => level.Kind switch
    {
        DurabilityKind.Local => _primaryFlushed,
        DurabilityKind.Replicas => Lsn.Min(_primaryFlushed, KthHighest(level.Count, static p => p.Flush)),
        DurabilityKind.Quorum => QuorumFlushed(),
        DurabilityKind.All => Lsn.Min(_primaryFlushed, _replicas.Count == 0 ? _primaryFlushed : _replicas.Values.Min(p => p.Flush)),
        DurabilityKind.Applied => Lsn.Min(_primaryFlushed, KthHighest(level.Count, static p => p.Apply)),
        _ => throw new ArgumentOutOfRangeException(nameof(level)),
    };

    /// <summary>The replicas that hold (flushed) everything up to <paramref name="end"/>.</summary>
    public IReadOnlyList<NodeId> HeldBy(Lsn end)
    {
        if (_replicas.Count == 0) return [];
        List<NodeId>? held = null;
        foreach (var (replica, position) in _replicas)
            if (position.Flush >= end) (held ??= new List<NodeId>(_replicas.Count)).Add(replica);
        if (held is null) return [];
        held.Sort(static (a, b) => string.CompareOrdinal(a.Value, b.Value));
        return held;
    }

    /// <summary>Whether the level can be met at all with the configured members (e.g. replicas 3 with 2 replicas cannot).</summary>
    public bool IsReachable(Durability level) => level.Kind switch
    {
        DurabilityKind.Replicas or DurabilityKind.Applied => level.Count <= _replicas.Count,
        DurabilityKind.Quorum => QuorumSize - (_primaryVotes ? 1 : 0) <= VotingReplicaCount,
        _ => true,
    };

    private int VotingReplicaCount => _votingReplicas is null ? _replicas.Count : _replicas.Keys.Count(_votingReplicas.Contains);

    /// <summary>The end of the log a majority of the voters have flushed (never beyond the primary's own flush).</summary>
    private Lsn QuorumFlushed()
    {
        var needed = QuorumSize - (_primaryVotes ? 1 : 0);   // voting replicas that must hold it
        if (needed <= 0) return _primaryFlushed;
        var voters = _votingReplicas is null ? _replicas.Values : _replicas.Where(r => _votingReplicas.Contains(r.Key)).Select(r => r.Value);
        var flushes = voters.Select(p => p.Flush).OrderByDescending(l => l.Value).ToList();
        return needed > flushes.Count ? Lsn.Zero : Lsn.Min(_primaryFlushed, flushes[needed - 1]);
    }

    private Lsn KthHighest(int k, Func<ReplicaPosition, Lsn> pick)
    {
        if (k <= 0) return _primaryFlushed;
        if (k > _replicas.Count) return Lsn.Zero;
        return _replicas.Values.Select(pick).OrderByDescending(l => l.Value).ElementAt(k - 1);
    }
}
