using System.Net;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Cluster.Election;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Replication.Replica;
using AkkaRepl.Wal;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Replication.Cluster;

/// <summary>
/// Decides and changes this node's role: primary of a generation, or replica of an upstream. Roles are static
/// here (the configured initial primary, manual promotion and follow); elections come with automatic failover.
/// <para>Invariants: the generation this node acts in never goes down, and it is saved before it is used
/// (<see cref="NodeStateStore"/>), so a restart keeps fencing older generations (G3). A primary learns of a
/// higher generation from any replica's handshake or ack, or from its peers' status, and then stops
/// accepting writes at once and follows; it never acknowledges a write in a generation it knows is stale.</para>
/// Role changes are serialized by one lock; each is logged with who, which generation and why.
/// </summary>
public sealed partial class Coordinator : IAsyncDisposable
{
    private const int RecentEventsKept = 50;
    private readonly CoordinatorContext _c;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _roleLock = new(1, 1);
    private readonly IReadOnlyList<MemberOptions> _peers;
    private readonly PeerProbe _probe;
    private readonly Queue<RoleChange> _events = new();
    private readonly CancellationTokenSource _stop = new();
    private ReplicationServer? _server;
    private Receiver? _receiver;
    private DurabilityGate? _gate;
    private Task _watch = Task.CompletedTask;
    private volatile bool _acceptsWrites;
    private ulong _highest; // highest generation seen, saved before use
    private ulong _heard;   // highest generation heard of, at once (a primary saves it only when it has stepped down)
    private volatile bool _roleTaken; // the starting role is taken: until then replicas are refused

    public Coordinator(CoordinatorContext context, ILoggerFactory loggers)
    {
        _c = context;
        _loggers = loggers;
        _logger = loggers.CreateLogger<Coordinator>();
        _peers = context.Cluster.Members.Where(m => m.Id != context.Self.Value).ToList();
        _probe = new PeerProbe(_peers, TimeSpan.FromSeconds(1), context.PeerHttp, context.Node.ClusterId);
    }

    public NodeRole Role { get; private set; } = NodeRole.Replica;
    /// <summary>This node's id.</summary>
    public NodeId Self => _c.Self;
    /// <summary>On a primary, the generation it writes in; on a replica, the highest generation it has seen.</summary>
    public Generation Generation => new(Volatile.Read(ref _highest));
    public string? PrimaryId { get; private set; }
    public bool AcceptsWrites => _acceptsWrites && LeaseHolds();

    /// <summary>The generation this node appends writes in while it is the primary; null otherwise. Set before
    /// writes are accepted and cleared after they stop, so every record of it was written by this node.</summary>
    public Generation? WritingGeneration { get; private set; }
    public DurabilityGate? Gate => _gate;
    public ReplicationServer? Server => _server;
    public Receiver? Receiver => _receiver;
    public IReadOnlyList<MemberOptions> Members => _c.Cluster.Members;
    /// <summary>Replicas told to rebuild from a snapshot that have not acknowledged since (a copy: the set changes on link threads).</summary>
    public IReadOnlySet<string> RebuildNeeded
    {
        get { lock (_rebuildNeeded) return _rebuildNeeded.ToHashSet(); }
    }

    private readonly HashSet<string> _rebuildNeeded = []; // guarded by itself: changed by replication-server link threads
    private int _rebuildsNeeded; // its count, read without the lock on every ack

    private void RebuildDone(NodeId replica)
    {
        lock (_rebuildNeeded)
        {
            _rebuildNeeded.Remove(replica.Value);
            Volatile.Write(ref _rebuildsNeeded, _rebuildNeeded.Count);
        }
    }

    public IReadOnlyList<RoleChange> RecentEvents { get { lock (_events) return _events.ToArray(); } }

    /// <summary>Raised after every role change.</summary>
    public event Action<RoleChange>? RoleChanged;

    /// <summary>Picks the starting role from the saved node state, or from configuration on first start, and starts it.
    /// The generation it starts from is the highest this node saved anywhere: node state, log, generation history and
    /// vote. With automatic failover on, it takes a generation without votes only to bootstrap generation 1 or to
    /// resume the one its own log started (see <see cref="WhyNotStartAsPrimary"/>).</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        var saved = _c.StateStore.Load();
        _votes = _c.DataDirectory is { } dir ? new VoteStore(dir) : null;
        var vote = _votes?.Load();
        var configuredPrimary = _c.Cluster.InitialPrimary ?? _c.Cluster.Members.FirstOrDefault()?.Id ?? _c.Self.Value;
        var started = Math.Max(_c.History.Latest.Value, _c.Wal.LastGeneration.Value);
        Volatile.Write(ref _highest, Math.Max(Math.Max(saved?.HighestGeneration ?? 0, vote?.Generation ?? 0), started));
        _server = new ReplicationServer(_c.ReplicationListener, ServerContext(), _loggers.CreateLogger<ReplicationServer>());
        _server.Start();

        var startAsPrimary = saved is null ? configuredPrimary == _c.Self.Value : saved.Role == NodeRole.Primary;
        if (startAsPrimary)
        {
            // A primary that was down may have been replaced: ask the peers before accepting any write.
            var peers = await _probe.AskAllAsync(ct).ConfigureAwait(false);
            var newer = peers.Where(p => p.Generation > Generation.Value).MaxBy(p => p.Generation);
            if (newer is not null)
            {
                await BecomeReplicaAsync(newer.Role == "primary" ? newer.NodeId : newer.PrimaryId, new Generation(newer.Generation),
                    $"peer {newer.NodeId} reports generation {newer.Generation}, above this node's {Generation}", ct).ConfigureAwait(false);
            }
            else if (WhyNotStartAsPrimary(saved, configuredPrimary, new Generation(started)) is { } reason)
            {
                // It follows this generation's primary, if a peer names one, and otherwise waits for one (or an election).
                var leader = peers.FirstOrDefault(p => p.Generation == Generation.Value && p.Role == "primary")?.NodeId;
                await BecomeReplicaAsync(leader, Generation, reason, ct).ConfigureAwait(false);
            }
            else
            {
                if (LostLog(saved) is { } lost) throw new AkkaReplException(lost);
                await BecomePrimaryAsync(newGeneration: _c.Wal.LastGeneration == Generation.None || saved?.Role != NodeRole.Primary,
                    saved is null ? "configured initial primary" : "restarted as the primary on record", ct).ConfigureAwait(false);
            }
        }
        else
        {
            await BecomeReplicaAsync(saved?.PrimaryId ?? configuredPrimary, Generation, saved is null ? "configured replica" : "restarted as a replica on record", ct).ConfigureAwait(false);
        }
        _roleTaken = true;
        StartElections(vote);
        _watch = Task.Run(() => WatchPeersAsync(_stop.Token));
    }

    /// <summary>
    /// Why this node, on record (or configured) as the primary, must start as a replica instead; null when it may lead.
    /// <para>On record as the primary of a generation its log never started: it saw that generation (from its leader,
    /// or a vote) and stopped before it stepped down, or before its own start record. Resuming would make a second
    /// primary of another node's generation (G2).</para>
    /// <para>With automatic failover on, every generation from <see cref="ElectionState.FirstElectedGeneration"/> on is
    /// a majority's, so a generation taken without votes could be the very one the others just elected a primary in
    /// (G2). A start takes one only to bootstrap generation 1 (the configured initial primary, with no generation seen
    /// anywhere) or to resume the generation its own log started (on record as the primary, its log not empty). Any
    /// other start (a log lost, or a crash before the record that starts the generation; node state lost) waits for
    /// the election, which it may win with votes. Static roles keep taking the next generation, as manual promotion
    /// does.</para>
    /// </summary>
    private string? WhyNotStartAsPrimary(NodeState? saved, string configuredPrimary, Generation started)
    {
        if (saved is not null && _c.Wal.LastGeneration != Generation.None && Generation > started)
            return $"on record as the primary, but of generation {Generation}, which its log (to generation {started}) never started";
        if (!ElectionsConfigured) return null;
        if (saved is { Role: NodeRole.Primary } && _c.Wal.LastGeneration != Generation.None) return null; // resumes its own generation
        if (Generation == Generation.None && configuredPrimary == _c.Self.Value) return null;              // bootstraps generation 1
        var what = saved is null
            ? $"configured initial primary, but generation {Generation} was seen already and its node state is missing"
            : $"on record as the primary of generation {Generation}, but its log is empty";
        return $"{what}: with automatic failover on, only a majority's votes make a primary of generation {ElectionState.FirstElectedGeneration} or later, so it waits for the election";
    }

    /// <summary>Static roles: why this node, on record as the primary, must not start as one (its WAL holds no record:
    /// the log was lost); null when it may. As the primary of a new generation with an empty log, its replicas would
    /// find no history in common with it and cut their whole log (G1). With elections on it waits for the election
    /// instead (<see cref="WhyNotStartAsPrimary"/>).</summary>
    private string? LostLog(NodeState? saved)
    {
        if (ElectionsConfigured || saved is not { Role: NodeRole.Primary, HighestGeneration: >= 1 } || _c.Wal.LastGeneration != Generation.None)
            return null;
        return $"the WAL of {_c.Wal.Directory} is empty, though node {_c.Self} was the primary of generation {saved.HighestGeneration} (its node-state.json says so): " +
               "its log was lost. Starting it as the primary would make its replicas discard the log they hold, writes acknowledged at quorum included. " +
               "Restore its data directory from a backup (akkarepl restore), or promote a replica that holds the log (akkarepl promote) and start this node " +
               "again: it then follows that primary and catches up (or rebuild it from there with akkarepl rebuild)";
    }

    /// <summary>
    /// Everything past the local flush a write needs before it is answered: its durability per <paramref name="level"/>
    /// and the configured timeout policy. Returns the receipt.
    /// </summary>
    public async Task<WriteReceipt> AwaitDurabilityAsync(WalAppendResult appended, Generation generation, Durability level, CancellationToken ct)
    {
        var gate = _gate ?? throw new LeaseLostException(PrimaryId, "stepped down");
        gate.PrimaryFlushedTo(appended.EndLsn);
        var receipt = await gate.WaitAsync(generation, appended.Lsn, appended.EndLsn, appended.CommitTimestampMicros, level,
            _c.Replication.DurabilityTimeout, _c.Replication.OnTimeout, ct).ConfigureAwait(false);
        // G2: acknowledge only under a valid lease, so a deposed primary never answers success while another is elected.
        if (!LeaseHolds() || WritingGeneration != generation) throw new LeaseLostException(PrimaryId, "lost its lease");
        if (Fenced(generation)) throw new LeaseLostException(PrimaryId, "a higher generation was seen; stepping down");
        if (Volatile.Read(ref _handingOver) != 0) throw new LeaseLostException(PrimaryId, "handing over to the switchover's target");
        return receipt;
    }

    /// <summary>Whether a write of <paramref name="generation"/> may be acknowledged now (G2: under a valid lease, still
    /// writing in that generation). The pooled write path's check, the same as <see cref="AwaitDurabilityAsync"/>'s.</summary>
    internal bool CanAcknowledge(Generation generation) =>
        LeaseHolds() && WritingGeneration == generation && !Fenced(generation) && Volatile.Read(ref _handingOver) == 0;

    /// <summary>A higher generation than <paramref name="generation"/> was heard of: its writes are never acknowledged
    /// again, though the step-down (which first asks the peers who leads now) has not finished.</summary>
    private bool Fenced(Generation generation) => Volatile.Read(ref _heard) > generation.Value;

    internal TimeSpan DurabilityTimeout => _c.Replication.DurabilityTimeout;
    internal DurabilityTimeoutPolicy OnDurabilityTimeout => _c.Replication.OnTimeout;

    /// <summary>Makes this replica the primary of a new, higher generation (manual promotion). Static roles only: with
    /// automatic failover on, only a majority's votes make a primary (see <see cref="SwitchoverAsync"/>).</summary>
    public async Task PromoteAsync(string reason, CancellationToken ct)
    {
        if (Role == NodeRole.Primary) throw new AkkaReplException($"node {_c.Self} is already the primary of generation {Generation}");
        // A generation taken by hand has no votes behind it: a replica cut off from the others may take the very one
        // they just elected a primary in, and their followers would then acknowledge both primaries (G2).
        if (ElectionsEnabled)
            throw new AkkaReplException($"node {_c.Self} cannot be promoted by hand: automatic failover is on (akkarepl.election.enabled), so only a majority's vote makes a primary. " +
                                        "Move the role with switchover (POST /admin/switchover?to=NODE on the primary), or wait for the election; promote is for static roles (elections off)");
        await BecomePrimaryAsync(newGeneration: true, reason, ct).ConfigureAwait(false);
    }

    /// <summary>On a replica: drop the link and rebuild from a snapshot of the upstream's state.</summary>
    public void RequestRebuild()
    {
        if (Role == NodeRole.Primary || _receiver is null) throw new AkkaReplException($"node {_c.Self} is the primary: only a replica can be rebuilt");
        _receiver.RequestRebuild();
    }

    /// <summary>Makes this node follow <paramref name="primary"/> (after another node was promoted).</summary>
    public Task FollowAsync(string primary, Generation generation, string reason, CancellationToken ct) =>
        BecomeReplicaAsync(primary, generation, reason, ct);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _acceptsWrites = false;
        try { await _watch.ConfigureAwait(false); } catch (OperationCanceledException) { }
        await StopElectionsAsync().ConfigureAwait(false);
        if (_receiver is not null) await _receiver.DisposeAsync().ConfigureAwait(false);
        if (_server is not null) await _server.DisposeAsync().ConfigureAwait(false);
        _probe.Dispose();
    }

    private async Task BecomePrimaryAsync(bool newGeneration, string reason, CancellationToken ct, Generation? elected = null)
    {
        await _roleLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // Before the receiver goes: a stale result leaves the node a replica, and its link must keep running (a
            // newer primary with the id it already follows would never restart it).
            if (elected is { } won && won < Generation)
                return; // a newer generation was seen while this election's result waited: it is stale
            if (_receiver is not null)
            {
                await _receiver.DisposeAsync().ConfigureAwait(false);
                _receiver = null;
            }
            var generation = Generation;
            if (newGeneration)
            {
                generation = elected ?? new Generation(Math.Max(Generation.Value, _c.History.Latest.Value)).Next();
                SaveHighest(generation, NodeRole.Primary, _c.Self.Value);
                // The history entry goes first (see GenerationHistory), then the record that starts the generation.
                _c.History.Add(generation, _c.Wal.WrittenLsn);
                await _c.Wal.AppendAsync(generation, WalRecordKind.GenerationStart, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
            }
            else
            {
                SaveHighest(generation, NodeRole.Primary, _c.Self.Value);
            }
            var others = _c.Cluster.Members.Where(m => m.Id != _c.Self.Value).ToList();
            var replicas = others.Select(m => new NodeId(m.Id));
            // Quorum counts voters only (G1): a majority of the voting members, this node included when it votes.
            var selfVotes = _c.Cluster.Members.FirstOrDefault(m => m.Id == _c.Self.Value)?.Voting ?? true;
            var voting = Math.Max(1, _c.Cluster.Members.Count(m => m.Voting));
            var votingReplicas = others.Where(m => m.Voting).Select(m => new NodeId(m.Id));
            _gate = new DurabilityGate(new CommitTracker(replicas, voting, votingReplicas, selfVotes), _c.Time);
            _gate.PrimaryFlushedTo(_c.Wal.FlushedLsn);
            _server?.DropAll(); // downstream sessions were in the old role's generation
            Role = NodeRole.Primary;
            PrimaryId = _c.Self.Value;
            WritingGeneration = generation;
            Volatile.Write(ref _handingOver, 0);
            _acceptsWrites = true;
            Record(NodeRole.Primary, generation, _c.Self.Value, reason);
            ElectionRoleChanged(NodeRole.Primary, generation, _c.Self.Value);
        }
        finally
        {
            _roleLock.Release();
        }
    }

    private async Task BecomeReplicaAsync(string? primary, Generation generation, string reason, CancellationToken ct)
    {
        await _roleLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _acceptsWrites = false; // first: not one more write is acknowledged in a stale role
            var highest = new Generation(Math.Max(Generation.Value, generation.Value));
            SaveHighest(highest, NodeRole.Replica, primary);
            if (Role == NodeRole.Primary) _server?.DropAll();
            Role = NodeRole.Replica;
            PrimaryId = primary;
            WritingGeneration = null;
            // Writes still waiting for their durability cannot be told it any more: they fail (their outcome is
            // unknown to the client: a write the new primary received survives).
            var stepDown = new LeaseLostException(primary, reason);
            _gate?.FailAll(stepDown);
            _c.Applier.DropResults(stepDown);
            _gate = null;
            if (_receiver is not null) await _receiver.DisposeAsync().ConfigureAwait(false);
            _receiver = new Receiver(ReceiverContext(), _loggers.CreateLogger<Receiver>());
            _receiver.Start();
            Record(NodeRole.Replica, highest, primary, reason);
            ElectionRoleChanged(NodeRole.Replica, highest, primary);
        }
        finally
        {
            _roleLock.Release();
        }
    }

    /// <summary>A higher generation was seen somewhere: remember it, and a primary steps down at once.</summary>
    private void OnHigherGeneration(Generation generation, NodeId from)
    {
        if (generation <= Generation) return;
        // First, before anything else: no write of an older generation is acknowledged from here on.
        ulong heard;
        while ((heard = Volatile.Read(ref _heard)) < generation.Value && Interlocked.CompareExchange(ref _heard, generation.Value, heard) != heard) { }
        Elect(s => s.ObserveGeneration(ElectionNow, generation.Value, from.Value));
        if (Role != NodeRole.Primary)
        {
            SaveHighest(generation, NodeRole.Replica, PrimaryId);
            return;
        }
        _acceptsWrites = false;
        LogHigherGeneration(_logger, generation.Value, from.Value, Generation.Value);
        _ = Task.Run(async () =>
        {
            // Find who leads the new generation; until then, follow nobody (accept no writes either way).
            var leader = (await _probe.AskAllAsync(_stop.Token).ConfigureAwait(false))
                .Where(p => p.Generation >= generation.Value && p.Role == "primary").MaxBy(p => p.Generation);
            await BecomeReplicaAsync(leader?.NodeId, generation,
                $"generation {generation} seen from {from}, above this node's {Generation}", _stop.Token).ConfigureAwait(false);
        });
    }

    /// <summary>Every few seconds a primary checks its peers for a higher generation; a replica with no known
    /// primary looks for one.</summary>
    private async Task WatchPeersAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(2), _c.Time, ct).ConfigureAwait(false);
                if (_peers.Count == 0) continue;
                var peers = await _probe.AskAllAsync(ct).ConfigureAwait(false);
                var newest = peers.Where(p => p.Role == "primary").MaxBy(p => p.Generation);
                if (newest is null) continue;
                if (Role == NodeRole.Primary && newest.Generation > Generation.Value)
                    OnHigherGeneration(new Generation(newest.Generation), new NodeId(newest.NodeId));
                else if (Role == NodeRole.Replica && newest.Generation >= Generation.Value && newest.NodeId != PrimaryId
                         && _c.Replication.Upstream is null)
                    await BecomeReplicaAsync(newest.NodeId, new Generation(newest.Generation),
                        $"peer {newest.NodeId} is the primary of generation {newest.Generation}", ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception ex) { LogWatchFailed(_logger, ex.Message); }
        }
    }

    private void SaveHighest(Generation generation, NodeRole role, string? primary)
    {
        var value = Math.Max(Generation.Value, generation.Value);
        _c.StateStore.Save(new NodeState(value, role, primary));
        Volatile.Write(ref _highest, value);
    }

    private void Record(NodeRole role, Generation generation, string? primary, string reason)
    {
        var change = new RoleChange(_c.Time.GetUtcNow(), _c.Self, role, generation, primary, reason);
        lock (_events)
        {
            _events.Enqueue(change);
            while (_events.Count > RecentEventsKept) _events.Dequeue();
        }
        LogRoleChanged(_logger, _c.Self.Value, role.ToString().ToLowerInvariant(), generation.Value, primary ?? "unknown", reason);
        RoleChanged?.Invoke(change);
    }

    private (NodeId, EndPoint)? UpstreamEndpoint()
    {
        var id = _c.Replication.Upstream ?? PrimaryId;
        if (id is null || id == _c.Self.Value) return null;
        var member = _c.Cluster.Members.FirstOrDefault(m => m.Id == id);
        if (member is null) return null;
        var address = IPAddress.TryParse(member.Host, out var ip) ? (EndPoint)new IPEndPoint(ip, member.ReplicationPort) : new DnsEndPoint(member.Host, member.ReplicationPort);
        return (new NodeId(member.Id), address);
    }

    private ReplicationServerContext ServerContext() => new(
        _c.Self, _c.Node.ClusterId, _c.Wal, _c.History, _c.Replication, _c.Time,
        Generation: () => Generation,
        IsMember: id => _c.Cluster.Members.Any(m => m.Id == id.Value),
        // Not before the starting role is taken; with elections on, only as the primary or as a replica that streams from
        // its upstream (cascading). A node that follows nobody (one that lost its log, waiting for the election) would
        // have its followers find no history in common with it and cut their whole log (G1).
        ServesReplicas: () => _roleTaken
                              && (!ElectionsConfigured || Role == NodeRole.Primary || _receiver?.State == UpstreamLinkState.Streaming),
        CommitLsn: () => _gate?.DurableAt(Durability.Quorum) ?? (_receiver?.UpstreamCommitLsn ?? Lsn.Zero),
        ReplicaConnected: _ => { },
        ReplicaAcked: s =>
        {
            if (s.HigherGenerationSeen is { } higher) OnHigherGeneration(higher, s.Replica);
            else
            {
                // Not when its session starts (right after the snapshot was sent): a rebuilt replica acks only once it
                // installed the snapshot, and one that went away before still needs the rebuild.
                if (Volatile.Read(ref _rebuildsNeeded) > 0) RebuildDone(s.Replica);
                _gate?.ReplicaAcked(s.Replica, s.Position);
            }
        },
        ReplicaDisconnected: _ => { },
        ReplicaNeedsRebuild: id =>
        {
            lock (_rebuildNeeded)
            {
                _rebuildNeeded.Add(id.Value);
                Volatile.Write(ref _rebuildsNeeded, _rebuildNeeded.Count);
            }
            _gate?.ReplicaRebuilding(id); // before the snapshot: its log may end below what it acknowledged (G1)
        },
        HigherGenerationSeen: OnHigherGeneration,
        CaptureImage: _c.CaptureImage,
        ScratchDirectory: _c.ScratchDirectory,
        ControlLink: ServeControlAsync,
        Links: _c.LinkSecurity,
        // A replica's bounded-staleness reads trust the primary's heartbeats: once its lease lapsed (or it heard of a newer
        // generation) another primary may be committing, so its heartbeats stop claiming freshness (G6).
        Vouches: () => AcceptsWrites && Volatile.Read(ref _heard) <= Generation.Value);

    private ReceiverContext ReceiverContext() => new(
        _c.Self, _c.Node.ClusterId, _c.Wal, _c.History, _c.Applier, _c.Replication, _c.Time,
        HighestGeneration: () => Generation,
        Upstream: UpstreamEndpoint,
        GenerationSeen: (g, from) => OnHigherGeneration(g, from),
        DivergedAt: _c.DivergedAt,
        NeedsRebuild: _ => { },
        RebuildFrom: _c.RebuildFrom,
        ScratchDirectory: _c.ScratchDirectory,
        Archive: _c.Archive,
        Links: _c.LinkSecurity);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} is now {Role} in generation {Generation} (primary: {Primary}); reason: {Reason}")]
    private static partial void LogRoleChanged(ILogger logger, string node, string role, ulong generation, string primary, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Generation {Generation} seen from {From}, above this primary's {Own}: stopped accepting writes, stepping down")]
    private static partial void LogHigherGeneration(ILogger logger, ulong generation, string from, ulong own);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking peers failed: {Error}")]
    private static partial void LogWatchFailed(ILogger logger, string error);
}
