using AkkaRepl.Core.Options;

namespace AkkaRepl.Replication.Cluster.Election;

/// <summary>
/// Elections and the primary's lease as a pure, deterministic state machine: inputs are ticks and received
/// control messages at a time <c>now</c> (this node's monotonic clock); outputs are actions for the driver and
/// messages to send. No threads, no clock, no I/O: the same inputs and seed give the same outputs, so the
/// simulation in the tests can run it through thousands of seeded schedules.
/// <para><b>Invariants and why they hold.</b>
/// (1) At most one primary per generation: a vote is cast at most once per generation and saved before the reply
/// (<see cref="SaveVote"/>), and a candidate needs a majority of the voting members; two majorities intersect.
/// (2) The winner holds every write acknowledged at quorum: a voter grants only to a candidate whose
/// (last generation, last LSN) is at least its own, and any majority of voters includes one that flushed the write.
/// (3) Leases never overlap: a voter grants a vote (and a pre-vote) only after hearing nothing from the primary for
/// <see cref="ElectionOptions.ElectionTimeout"/>; every heartbeat acknowledgement it sent promised that. The primary's
/// lease runs from the <i>send</i> time of the newest heartbeat a majority acknowledged, for
/// <see cref="ElectionOptions.Lease"/>, and lease + drift margin &lt; election timeout (checked at start-up).
/// A vote also counts as contact, so the new primary's own lease is protected in the same way. A candidate's vote for
/// itself is a vote too: a node inside such a promise does not run, and a pre-vote round of its own ends when it grants
/// another's vote.</para>
/// Pre-vote first: a node asks whether a majority would vote for it before it raises any generation, so a node
/// cut off from a healthy primary's majority cannot disrupt it.
/// </summary>
public sealed class ElectionState
{
    private readonly string _self;
    private readonly ElectionMember _me;
    private readonly IReadOnlyDictionary<string, ElectionMember> _members;
    private readonly List<string> _peers;
    private readonly ElectionOptions _o;
    private readonly Random _random;
    private readonly Dictionary<string, PhiAccrualDetector> _detectors = new();
    private readonly Dictionary<string, long> _ackedTicks = new();   // primary: newest heartbeat send time each voter echoed
    private readonly Queue<long> _sentAsPrimary = new();             // primary: send times of its heartbeats within a lease
    private readonly HashSet<string> _grants = new();
    private readonly int _majority;
    private readonly int _rank;                                      // promotable voters with a higher priority than this node
    private ulong _votedGeneration;
    private string? _votedFor;
    private TimeSpan _lastPrimaryContact;                            // last heartbeat from the primary, or vote granted
    private TimeSpan _nextAttemptAt;
    private TimeSpan _roundDeadline;
    private TimeSpan? _lastHeartbeatSent;
    private TimeSpan _leaseExpiry = TimeSpan.MinValue;
    private ulong _roundGeneration;
    private int _attempts;

    public ElectionState(string self, IReadOnlyList<ElectionMember> members, ElectionOptions options, Random random,
        ulong generation, ulong votedGeneration, string? votedFor, TimeSpan now)
    {
        _self = self;
        _members = members.ToDictionary(m => m.Id, StringComparer.Ordinal);
        _me = _members.TryGetValue(self, out var me) ? me : throw new ArgumentException($"node {self} is not among the members", nameof(members));
        _peers = members.Where(m => m.Id != self).Select(m => m.Id).ToList();
        _o = options;
        _random = random;
        Generation = generation;
        _votedGeneration = votedGeneration;
        _votedFor = votedFor;
        _majority = members.Count(m => m.Voting) / 2 + 1;
        _rank = members.Count(m => m.CanBePrimary && m.Id != self && m.Priority > _me.Priority);
        foreach (var peer in _peers)
            _detectors[peer] = new PhiAccrualDetector(options.HeartbeatInterval, options.MinStdDeviation, options.AcceptablePause);
        // After a start, promise nothing new for an election timeout: a lease this node acknowledged before a
        // restart may still run.
        _lastPrimaryContact = now;
        _nextAttemptAt = NextAttemptAfterContact(now);
    }

    public ElectionRole Role { get; private set; } = ElectionRole.Follower;
    /// <summary>The highest generation this node has seen (on a primary, the one it writes in).</summary>
    public ulong Generation { get; private set; }
    /// <summary>The primary this node follows, when it knows one; itself when primary.</summary>
    public string? Primary { get; private set; }
    /// <summary>Where this node's log ends; the driver keeps it current before each input.</summary>
    public LogPosition Log { get; set; }
    /// <summary>When the primary's lease ends on this node's clock (meaningful only on a primary).</summary>
    public TimeSpan LeaseExpiry => _leaseExpiry;

    /// <summary>True when this node is primary and its lease, renewed by a majority, still holds at <paramref name="now"/>.</summary>
    public bool LeaseValid(TimeSpan now) => Role == ElectionRole.Primary && now < _leaseExpiry;

    /// <summary>The failure detector's phi for a peer at <paramref name="now"/>.</summary>
    public double Phi(string peer, TimeSpan now) => _detectors.TryGetValue(peer, out var d) ? d.Phi(now) : 0;

    /// <summary>Timers: heartbeats, lease expiry, election start and round timeouts.</summary>
    public ElectionOutput Tick(TimeSpan now)
    {
        var o = new Builder();
        // A primary made by other means than an election (configured, restarted, promoted) has no lease until a majority
        // first acknowledges it; until then it acknowledges nothing, so it need not step down: it waits for its replicas
        // (which may still be starting) or for a higher generation.
        if (Role == ElectionRole.Primary && _leaseExpiry != TimeSpan.MinValue && now >= _leaseExpiry)
        {
            StepDownTo(o, ElectionRole.Follower, $"lost lease: no majority acknowledged a heartbeat within {_o.Lease.TotalMilliseconds:0} ms");
            Primary = null;
            _nextAttemptAt = NextAttemptAfterContact(now);
        }
        if (_lastHeartbeatSent is null || now - _lastHeartbeatSent.Value >= _o.HeartbeatInterval)
        {
            _lastHeartbeatSent = now;
            if (Role == ElectionRole.Primary) RememberSent(now);
            foreach (var peer in _peers) o.Send(peer, new Heartbeat(_self, Generation, Role == ElectionRole.Primary, Log, now.Ticks));
        }
        switch (Role)
        {
            case ElectionRole.Follower when _me.CanBePrimary && now >= _nextAttemptAt && PrimaryLost(now):
                StartPreVote(o, now);
                break;
            case ElectionRole.PreCandidate or ElectionRole.Candidate when now >= _roundDeadline:
                FailRound(now, Role == ElectionRole.PreCandidate ? "pre-vote" : "vote");
                break;
        }
        return o.Build();
    }

    /// <summary>A control message arrived at <paramref name="now"/>.</summary>
    public ElectionOutput Receive(TimeSpan now, ControlMessage message)
    {
        var o = new Builder();
        if (!_members.ContainsKey(message.From) || message.From == _self) return o.Build();
        if (_detectors.TryGetValue(message.From, out var detector)) detector.Heartbeat(now);
        switch (message)
        {
            case PreVoteRequest r:
                o.Send(r.From, new PreVoteReply(_self, Generation, NextElected(r.Generation), GrantsPreVote(r, now)));
                break;
            case VoteRequest r:
                OnVoteRequest(o, r, now);
                break;
            case PreVoteReply p:
                // A voter's own generation may be below this candidate's: its reply is judged by the round it answers.
                if (p.Generation > Generation) AdoptGeneration(o, p.Generation, $"generation {p.Generation} seen from {p.From}", now);
                else if (Role == ElectionRole.PreCandidate && p.ForGeneration == _roundGeneration)
                {
                    if (p.Granted && _members[p.From].Voting) _grants.Add(p.From);
                    if (_grants.Count >= _majority)
                    {
                        // Its own vote counts toward the majority, so it keeps the promise a voter keeps: a node
                        // that granted a vote or acknowledged a primary within an election timeout does not run.
                        if (HearsHealthyPrimary(now)) Role = ElectionRole.Follower;
                        else StartVote(o, now);
                    }
                }
                break;
            default:
                if (message.Generation > Generation) AdoptGeneration(o, message.Generation, $"generation {message.Generation} seen from {message.From}", now);
                if (message.Generation < Generation) break; // stale: fenced
                switch (message)
                {
                    case Heartbeat { IsPrimary: true } h: OnPrimaryHeartbeat(o, h, now); break;
                    // The node followed says it is not the primary (it stepped down, or lost its log and waits for the
                    // election): no primary to wait for. Alive, it keeps its detector available, so its followers would
                    // never run. The promise of the last primary contact still holds (_lastPrimaryContact is kept).
                    case Heartbeat { IsPrimary: false } h when h.From == Primary: Primary = null; break;
                    case TimeoutNow tn when tn.Generation == Generation && _me.CanBePrimary && Role != ElectionRole.Primary:
                        _roundGeneration = NextElected(Generation);
                        StartVote(o, now, transfer: true, $"switchover from {tn.From}: asking for votes in generation {_roundGeneration}");
                        break;
                    // Only an echo of a heartbeat this primary sent counts: an ack stamped with another clock (a previous
                    // process's, still queued on a peer's lane when this one restarted as the primary on record in the
                    // same generation) promises nothing about now, and could carry a lease an hour into the future.
                    case HeartbeatAck a when Role == ElectionRole.Primary && _sentAsPrimary.Contains(a.EchoTicks):
                        if (!_ackedTicks.TryGetValue(a.From, out var t) || a.EchoTicks > t) _ackedTicks[a.From] = a.EchoTicks;
                        RenewLease();
                        break;
                    case VoteReply v when Role == ElectionRole.Candidate && v.Generation == Generation:
                        if (v.Granted && _members[v.From].Voting)
                        {
                            _grants.Add(v.From);
                            _ackedTicks[v.From] = v.EchoTicks;
                        }
                        if (_grants.Count >= _majority) Win(o, now);
                        break;
                }
                break;
        }
        return o.Build();
    }

    /// <summary>The driver made this node primary of <paramref name="generation"/> by other means (configured initial
    /// primary, restart as primary, manual promotion). Its lease starts only when a majority acknowledges a heartbeat.
    /// When this node already knows a newer generation (it voted in one, or heard of one, while the driver's role change
    /// ran), it does not lead: it stays a follower and tells the driver to step down (G3: never two primaries that
    /// claim one generation).</summary>
    public ElectionOutput AssumePrimary(TimeSpan now, ulong generation)
    {
        var o = new Builder();
        if (Role == ElectionRole.Primary && Generation == generation) return o.Build(); // already (elected)
        if (generation < Generation)
        {
            StepDownTo(o, ElectionRole.Follower, $"higher generation seen: {Generation}, while becoming the primary of generation {generation}");
            ForgetPrimary(now);
            return o.Build();
        }
        if (generation > Generation) SetGeneration(o, generation, _votedGeneration == generation ? _votedFor : null);
        Role = ElectionRole.Primary;
        Primary = _self;
        _ackedTicks.Clear();
        _sentAsPrimary.Clear();
        _leaseExpiry = _majority <= 1 ? TimeSpan.MaxValue : TimeSpan.MinValue;
        _lastHeartbeatSent = null; // heartbeat at the next tick, to get the lease
        _attempts = 0;
        return o.Build();
    }

    /// <summary>The driver made this node follow <paramref name="primary"/> (manual follow, or a primary found by probing).</summary>
    public ElectionOutput AssumeReplica(TimeSpan now, string? primary, ulong generation)
    {
        var o = new Builder();
        if (Role == ElectionRole.Follower && Primary == primary && generation <= Generation) return o.Build(); // already
        if (generation > Generation) SetGeneration(o, generation, null);
        if (Role == ElectionRole.Primary) _leaseExpiry = TimeSpan.MinValue;
        Role = ElectionRole.Follower;
        if (primary is not null && primary != Primary) _lastPrimaryContact = now;
        Primary = primary == _self ? null : primary;
        _nextAttemptAt = NextAttemptAfterContact(now);
        return o.Build();
    }

    /// <summary>A higher generation was seen outside the control lane (a replication link): a primary steps down.</summary>
    public ElectionOutput ObserveGeneration(TimeSpan now, ulong generation, string from)
    {
        var o = new Builder();
        if (generation > Generation) AdoptGeneration(o, generation, $"higher generation seen: {generation} from {from}", now);
        return o.Build();
    }

    private bool PrimaryLost(TimeSpan now)
    {
        if (now - _lastPrimaryContact < _o.ElectionTimeout) return false; // voters would refuse anyway
        // A primary that is not a member (the node state names one since removed from the config) is as good as lost.
        return Primary is null || Primary == _self || !_detectors.TryGetValue(Primary, out var detector) || !detector.IsAvailable(now, _o.PhiThreshold);
    }

    private bool HearsHealthyPrimary(TimeSpan now) =>
        Role == ElectionRole.Primary || now - _lastPrimaryContact < _o.ElectionTimeout;

    private bool GrantsPreVote(PreVoteRequest r, TimeSpan now)
    {
        if (!_me.Voting || !_members[r.From].CanBePrimary) return false;
        if (NextElected(r.Generation) <= Generation) return false;
        if (HearsHealthyPrimary(now)) return false;
        if (r.Log < Log) return false;
        // Priority: on a first attempt, defer to this node when it is as up to date and preferred (it will run itself).
        if (r.Attempt == 0 && _me.CanBePrimary && Log >= r.Log && _me.Priority > r.Priority) return false;
        return true;
    }

    private void OnVoteRequest(Builder o, VoteRequest r, TimeSpan now)
    {
        bool grant;
        // A transfer may be granted while the old primary was heard a moment ago: it stopped acknowledging before it
        // sent TimeoutNow (HandOver), so its lease is already given up.
        var hearsPrimary = r.Transfer ? Role == ElectionRole.Primary : HearsHealthyPrimary(now);
        if (!_me.Voting || !_members[r.From].CanBePrimary || r.Generation < Generation || hearsPrimary)
            grant = false; // a healthy primary's voter does not even take the higher generation: it would fence a working primary
        else
        {
            if (r.Generation > Generation) AdoptGeneration(o, r.Generation, $"vote requested in generation {r.Generation} by {r.From}", now);
            grant = (_votedGeneration != Generation || _votedFor is null || _votedFor == r.From) && r.Log >= Log;
            if (grant)
            {
                if (_votedFor != r.From || _votedGeneration != Generation) SetGeneration(o, Generation, r.From);
                _lastPrimaryContact = now; // promise: no other vote for an election timeout (the winner's lease)
                _nextAttemptAt = NextAttemptAfterContact(now);
                // That promise covers its own vote too: a pre-vote round of its own under way is given up.
                if (Role == ElectionRole.PreCandidate) Role = ElectionRole.Follower;
            }
        }
        o.Send(r.From, new VoteReply(_self, Generation, grant, r.SentAtTicks));
    }

    private void OnPrimaryHeartbeat(Builder o, Heartbeat h, TimeSpan now)
    {
        if (Role == ElectionRole.Primary) return; // one primary per generation: cannot be another's
        if (Role is ElectionRole.PreCandidate or ElectionRole.Candidate) Role = ElectionRole.Follower;
        _lastPrimaryContact = now;
        _nextAttemptAt = NextAttemptAfterContact(now);
        _attempts = 0;
        if (Primary != h.From)
        {
            Primary = h.From;
            o.Act(new FollowPrimary(h.From, h.Generation, $"heard the primary {h.From} of generation {h.Generation}"));
        }
        o.Send(h.From, new HeartbeatAck(_self, Generation, h.SentAtTicks));
    }

    /// <summary>The first generation an election may create. Generation 1 belongs to the configured initial primary,
    /// which takes it at bootstrap without a vote; were an election allowed to create it too, a node that started
    /// before that primary was heard could be elected in the same generation and G2 (one primary per generation)
    /// would break. Elections therefore start at 2, and a configured primary of 1 is fenced by any elected one.</summary>
    public const ulong FirstElectedGeneration = 2;

    /// <summary>The generation an election run from <paramref name="generation"/> asks for.</summary>
    public static ulong NextElected(ulong generation) => Math.Max(generation + 1, FirstElectedGeneration);

    private void StartPreVote(Builder o, TimeSpan now)
    {
        Role = ElectionRole.PreCandidate;
        _roundGeneration = NextElected(Generation);
        _roundDeadline = now + RoundTimeout;
        _grants.Clear();
        if (_me.Voting) _grants.Add(_self);
        foreach (var peer in VotingPeers) o.Send(peer, new PreVoteRequest(_self, Generation, Log, _me.Priority, _attempts));
        if (_grants.Count >= _majority) StartVote(o, now);
    }

    /// <summary>Switchover: this primary gives up its lease at once (it acknowledges nothing more) and tells
    /// <paramref name="to"/> to start an election now. The caller made sure <paramref name="to"/> holds its whole log.</summary>
    public ElectionOutput HandOver(TimeSpan now, string to)
    {
        var o = new Builder();
        if (Role != ElectionRole.Primary || !_members.TryGetValue(to, out var target) || !target.CanBePrimary || to == _self) return o.Build();
        StepDownTo(o, ElectionRole.Follower, $"switchover to {to}");
        Primary = null;
        _lastPrimaryContact = now;
        _nextAttemptAt = NextAttemptAfterContact(now) + _o.ElectionTimeout; // let the target win first
        o.Send(to, new TimeoutNow(_self, Generation));
        return o.Build();
    }

    private void StartVote(Builder o, TimeSpan now, bool transfer = false, string? reason = null)
    {
        Role = ElectionRole.Candidate;
        SetGeneration(o, _roundGeneration, _self);
        Primary = null;
        _roundDeadline = now + RoundTimeout;
        _grants.Clear();
        _grants.Add(_self);
        _ackedTicks.Clear();
        _sentAsPrimary.Clear();
        o.Act(new BecameCandidate(Generation, reason ?? $"primary unreachable; pre-vote won, asking for votes in generation {Generation}"));
        foreach (var peer in VotingPeers) o.Send(peer, new VoteRequest(_self, Generation, Log, now.Ticks, transfer));
        if (_grants.Count >= _majority) Win(o, now);
    }

    private void Win(Builder o, TimeSpan now)
    {
        Role = ElectionRole.Primary;
        Primary = _self;
        _attempts = 0;
        RenewLease(now);
        o.Act(new BecomePrimary(Generation, $"won election of generation {Generation} with votes of {string.Join(", ", _grants.Order(StringComparer.Ordinal))}"));
        _lastHeartbeatSent = now;
        RememberSent(now);
        foreach (var peer in _peers) o.Send(peer, new Heartbeat(_self, Generation, true, Log, now.Ticks));
    }

    /// <summary>Keeps the send times of the primary's heartbeats that could still renew its lease (one older than a
    /// lease gives an expiry already past).</summary>
    private void RememberSent(TimeSpan now)
    {
        _sentAsPrimary.Enqueue(now.Ticks);
        while (_sentAsPrimary.Count > 0 && _sentAsPrimary.Peek() <= (now - _o.Lease).Ticks) _sentAsPrimary.Dequeue();
    }

    private void FailRound(TimeSpan now, string stage)
    {
        Role = ElectionRole.Follower;
        _attempts++;
        var cap = _o.BackoffMax.Ticks;
        var wait = Math.Min(cap, _o.HeartbeatInterval.Ticks << Math.Min(_attempts, 20));
        _nextAttemptAt = now + TimeSpan.FromTicks((long)(wait * (0.5 + _random.NextDouble())));
        LastFailure = $"{stage} for generation {_roundGeneration} failed with {_grants.Count} of {_majority} needed";
    }

    /// <summary>Why the last election attempt failed (for logs); null if none failed.</summary>
    public string? LastFailure { get; private set; }

    private void AdoptGeneration(Builder o, ulong generation, string reason, TimeSpan now)
    {
        var wasPrimary = Role == ElectionRole.Primary;
        SetGeneration(o, generation, null);
        if (wasPrimary) StepDownTo(o, ElectionRole.Follower, $"higher generation seen: {reason}");
        Role = ElectionRole.Follower;
        ForgetPrimary(now);
    }

    /// <summary>No primary is known in the generation this node now follows. The next attempt to stand stays where it
    /// was planned, unless the contact rule less one election timeout puts it later.</summary>
    private void ForgetPrimary(TimeSpan now)
    {
        Primary = null;
        _nextAttemptAt = Max(_nextAttemptAt, NextAttemptAfterContact(now) - _o.ElectionTimeout);
    }

    private void StepDownTo(Builder o, ElectionRole role, string reason)
    {
        var generation = Generation;
        Role = role;
        _leaseExpiry = TimeSpan.MinValue;
        _ackedTicks.Clear();
        _sentAsPrimary.Clear();
        o.Act(new StepDown(generation, reason));
    }

    private void SetGeneration(Builder o, ulong generation, string? votedFor)
    {
        Generation = generation;
        _votedGeneration = generation;
        _votedFor = votedFor;
        o.Act(new SaveVote(generation, votedFor));
    }

    private void RenewLease(TimeSpan? now = null)
    {
        // The lease runs from the send time that a majority (this node counted at "now") acknowledged.
        var times = new List<long>();
        if (_me.Voting) times.Add((now ?? TimeSpan.MaxValue).Ticks);
        foreach (var (peer, ticks) in _ackedTicks) if (_members[peer].Voting) times.Add(ticks);
        if (times.Count < _majority) return;
        times.Sort((a, b) => b.CompareTo(a));
        var basis = TimeSpan.FromTicks(times[_majority - 1]);
        if (basis == TimeSpan.MaxValue) { _leaseExpiry = TimeSpan.MaxValue; return; }
        var expiry = basis + _o.Lease;
        if (expiry > _leaseExpiry) _leaseExpiry = expiry;
    }

    private TimeSpan RoundTimeout => _o.ElectionTimeout / 2;

    private IEnumerable<string> VotingPeers => _peers.Where(p => _members[p].Voting);

    /// <summary>When a node that last heard a primary at <paramref name="contact"/> may first run: after the election
    /// timeout, plus a random heartbeat interval that splits ties among equals, plus one and a half intervals per
    /// promotable node of higher priority. The half interval between ranks is wider than a tick (a quarter interval)
    /// plus clock drift, so a node of lower priority never starts before a higher one that lost the primary at the
    /// same moment.</summary>
    private TimeSpan NextAttemptAfterContact(TimeSpan contact) =>
        contact + _o.ElectionTimeout + _o.HeartbeatInterval * (1.5 * _rank) + TimeSpan.FromTicks((long)(_o.HeartbeatInterval.Ticks * _random.NextDouble()));

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed class Builder
    {
        private List<ElectionAction>? _actions;
        private List<Outgoing>? _sends;
        public void Act(ElectionAction action) => (_actions ??= []).Add(action);
        public void Send(string to, ControlMessage message) => (_sends ??= []).Add(new Outgoing(to, message));
        public ElectionOutput Build() => _actions is null && _sends is null ? ElectionOutput.None : new ElectionOutput(_actions ?? [], _sends ?? []);
    }
}
