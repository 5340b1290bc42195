using AkkaRepl.Core.Ids;

namespace AkkaRepl.Replication.Primary;

/// <summary>
/// Decides how far the log is durable at each level, from the primary's own flushed position and the
/// positions its replicas acknowledged. Pure and single-threaded: the owner serializes calls and releases
/// waiters from what it returns, so the rule is tested without clocks or sockets.
/// <para>Invariant: every level also requires the primary's own flush (so a receipt never claims more than
/// the primary holds), and positions only move forward: a replica that reconnects with a lower position
/// cannot move a level back below a write that was already acknowledged. The one exception is a replica whose log
/// a rebuild replaces (<see cref="ReplicaRebuilding"/>): it no longer holds what it acknowledged before.</para>
/// </summary>
public sealed class CommitTracker
{
    private readonly Dictionary<NodeId, ReplicaPosition> _replicas = new();
    private readonly Dictionary<NodeId, int> _index = new();  // replica -> its slot in the arrays below
    private readonly NodeId[] _ids;                            // ordinal order (the order HeldBy answers in)
    private readonly ReplicaPosition[] _positions;             // _positions[i] is _replicas[_ids[i]]
    private readonly bool[] _voting;
    private readonly ulong[] _scratch;                         // DurableAt's sort buffer (calls are serialized by the owner)
    private readonly Dictionary<ulong, IReadOnlyList<NodeId>> _heldByCache = new(); // by the bit set of holders
    private readonly int _votingMembers;
    private readonly int _votingReplicaCount;
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
        var voters = votingReplicas?.ToHashSet();
        _primaryVotes = primaryVotes;
        _ids = _replicas.Keys.OrderBy(id => id.Value, StringComparer.Ordinal).ToArray();
        _positions = new ReplicaPosition[_ids.Length];
        _voting = new bool[_ids.Length];
        _scratch = new ulong[_ids.Length];
        for (int i = 0; i < _ids.Length; i++)
        {
            _index[_ids[i]] = i;
            _voting[i] = voters is null || voters.Contains(_ids[i]);
            if (_voting[i]) _votingReplicaCount++;
        }
    }

    public Lsn PrimaryFlushed => _primaryFlushed;

    public IReadOnlyDictionary<NodeId, ReplicaPosition> Replicas => _replicas;

    /// <summary>Flushes (counting the primary) a quorum needs.</summary>
    public int QuorumSize => _votingMembers / 2 + 1;

    public void PrimaryFlushedTo(Lsn lsn) => _primaryFlushed = Lsn.Max(_primaryFlushed, lsn);

    /// <summary>Records a replica's acknowledgement; returns false for a replica that is not a member.</summary>
    public bool ReplicaAcked(NodeId replica, ReplicaPosition position)
    {
        if (!_index.TryGetValue(replica, out var i)) return false;
        var known = _positions[i];
        _positions[i] = _replicas[replica] = new ReplicaPosition(
            Lsn.Max(known.Write, position.Write),
            Lsn.Max(known.Flush, position.Flush),
            Lsn.Max(known.Apply, position.Apply));
        return true;
    }

    /// <summary>
    /// The replica is about to be rebuilt from a snapshot: its log is replaced by one that starts at the snapshot, which
    /// may be below what it acknowledged (it flushes what is shipped before the primary's own fdatasync returns). What
    /// it acknowledged so far no longer counts (G1); its acks after the rebuild do. Levels can only go down here.
    /// </summary>
    public void ReplicaRebuilding(NodeId replica)
    {
        if (!_index.TryGetValue(replica, out var i)) return;
        _positions[i] = _replicas[replica] = default;
    }

    /// <summary>The end of the log that is durable at <paramref name="level"/>: a write ending at or before it has reached that level.
    /// Allocates nothing (it runs on every flush and every ack).</summary>
    public Lsn DurableAt(Durability level) => level.Kind switch
    {
        DurabilityKind.Local => _primaryFlushed,
        DurabilityKind.Replicas => Lsn.Min(_primaryFlushed, KthHighest(level.Count, apply: false, votersOnly: false)),
        DurabilityKind.Quorum => QuorumFlushed(),
        DurabilityKind.All => Lsn.Min(_primaryFlushed, _ids.Length == 0 ? _primaryFlushed : KthHighest(_ids.Length, apply: false, votersOnly: false)),
        DurabilityKind.Applied => Lsn.Min(_primaryFlushed, KthHighest(level.Count, apply: true, votersOnly: false)),
        _ => throw new ArgumentOutOfRangeException(nameof(level)),
    };

    /// <summary>The replicas that hold (flushed) everything up to <paramref name="end"/>, in ordinal order of their ids.
    /// The list is shared and read-only (the same set of holders answers the same list, so a write's receipt allocates none).</summary>
    public IReadOnlyList<NodeId> HeldBy(Lsn end)
    {
        if (_ids.Length == 0) return [];
        if (_ids.Length > 16) return HeldByUncached(end);
        ulong mask = 0;
        for (int i = 0; i < _ids.Length; i++)
            if (_positions[i].Flush >= end) mask |= 1UL << i;
        if (mask == 0) return [];
        if (!_heldByCache.TryGetValue(mask, out var held))
            _heldByCache[mask] = held = HeldByUncached(end);
        return held;
    }

    private IReadOnlyList<NodeId> HeldByUncached(Lsn end)
    {
        var held = new List<NodeId>(_ids.Length);
        for (int i = 0; i < _ids.Length; i++)
            if (_positions[i].Flush >= end) held.Add(_ids[i]);
        return held.Count == 0 ? [] : held.AsReadOnly();
    }

    /// <summary>Whether the level can be met at all with the configured members (e.g. replicas 3 with 2 replicas cannot).</summary>
    public bool IsReachable(Durability level) => level.Kind switch
    {
        DurabilityKind.Replicas or DurabilityKind.Applied => level.Count <= _ids.Length,
        DurabilityKind.Quorum => QuorumSize - (_primaryVotes ? 1 : 0) <= _votingReplicaCount,
        _ => true,
    };

    /// <summary>The end of the log a majority of the voters have flushed (never beyond the primary's own flush).</summary>
    private Lsn QuorumFlushed()
    {
        var needed = QuorumSize - (_primaryVotes ? 1 : 0);   // voting replicas that must hold it
        if (needed <= 0) return _primaryFlushed;
        return needed > _votingReplicaCount ? Lsn.Zero : Lsn.Min(_primaryFlushed, KthHighest(needed, apply: false, votersOnly: true));
    }

    /// <summary>The k-th highest flush (or apply) position among the replicas (or the voting ones); zero when fewer exist.</summary>
    private Lsn KthHighest(int k, bool apply, bool votersOnly)
    {
        if (k <= 0) return _primaryFlushed;
        int n = 0;
        for (int i = 0; i < _ids.Length; i++)
        {
            if (votersOnly && !_voting[i]) continue;
            _scratch[n++] = (apply ? _positions[i].Apply : _positions[i].Flush).Value;
        }
        if (k > n) return Lsn.Zero;
        var values = _scratch.AsSpan(0, n);
        values.Sort();                       // ascending: the k-th highest is at n - k
        return new Lsn(values[n - k]);
    }
}
