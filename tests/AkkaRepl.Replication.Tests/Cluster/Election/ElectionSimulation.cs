using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Cluster.Election;

namespace AkkaRepl.Replication.Tests.Cluster.Election;

/// <summary>
/// A seeded, deterministic simulation of <see cref="ElectionState"/> on N nodes: fake real time, one clock per node
/// (own offset and rate drift), links with random delay, loss and partitions, crashes and restarts that keep only
/// what the state machine asked to save, and a toy log (one generation number per entry) that a primary appends to
/// and followers copy. It records violations of the safety properties as they happen; progress is judged apart.
/// With <c>trace</c> on it also keeps a log of what happened (messages other than followers' heartbeats, their
/// outputs, role and lease changes, faults): the tests re-run a failing seed with it, to show how it failed.
/// </summary>
internal sealed class ElectionSimulation
{
    private static readonly TimeSpan TickEvery = TimeSpan.FromMilliseconds(10);
    private readonly Random _random;
    private readonly ElectionOptions _options;
    private readonly SimNode[] _nodes;
    private readonly PriorityQueue<Action, (long, long)> _events = new();
    private readonly bool[,] _linkUp;
    private readonly Dictionary<ulong, string> _leaders = new();
    private readonly List<(int Index, ulong Generation)> _acknowledged = new();
    private readonly List<string>? _trace;
    private long _seq;
    private double _lossRate;

    public ElectionSimulation(int seed, int nodes, ElectionOptions options, IReadOnlyList<ElectionMember>? members = null, bool trace = false)
    {
        _trace = trace ? new List<string>() : null;
        _random = new Random(seed);
        _options = options;
        Members = members ?? Enumerable.Range(0, nodes).Select(i => new ElectionMember($"n{i}")).ToList();
        _nodes = Members.Select((m, i) => new SimNode(i, m.Id, _random.NextDouble() * 1e4, (_random.NextDouble() - 0.5) * 0.01)).ToArray();
        _linkUp = new bool[nodes, nodes];
        SetAllLinks(true);
        foreach (var node in _nodes) Start(node);
    }

    public IReadOnlyList<ElectionMember> Members { get; }
    public TimeSpan Now { get; private set; }
    public List<string> Violations { get; } = new();
    public int Elections => _leaders.Count;
    public IReadOnlyDictionary<ulong, string> Leaders => _leaders;
    public int AcknowledgedEntries => _acknowledged.Count;
    /// <summary>The trace (empty unless made with <c>trace</c> on), oldest first.</summary>
    public IReadOnlyList<string> Trace => (IReadOnlyList<string>?)_trace ?? [];

    /// <summary>The last <paramref name="lines"/> of the trace up to the first violation (or, given
    /// <paramref name="until"/>, up to the first line that matches it), for a failure message.</summary>
    public string TraceTail(int lines = 60, Func<string, bool>? until = null)
    {
        var end = until is null ? _firstViolationAt ?? Trace.Count : Trace.TakeWhile(l => !until(l)).Count() + 1;
        return string.Join("\n", Trace.Take(end).TakeLast(lines));
    }

    private int? _firstViolationAt;

    /// <summary>Runs with random faults (partitions, loss, crashes) until <paramref name="chaosFor"/>, then heals
    /// everything and runs on until <paramref name="until"/>.</summary>
    public void Run(TimeSpan chaosFor, TimeSpan until)
    {
        var nextFault = TimeSpan.FromMilliseconds(_random.Next(200, 1500));
        var healed = false;
        while (Now < until)
        {
            if (!healed && Now >= chaosFor)
            {
                healed = true;
                SetAllLinks(true);
                _lossRate = 0;
                foreach (var n in _nodes.Where(n => !n.Up)) Restart(n);
            }
            if (!healed && Now >= nextFault)
            {
                InjectFault();
                nextFault = Now + TimeSpan.FromMilliseconds(_random.Next(100, 2000));
            }
            if (!_events.TryDequeue(out var action, out var at)) break;
            Now = TimeSpan.FromTicks(at.Item1);
            action();
            if (_trace is not null) TraceRoles();
            CheckLeases();
        }
    }

    /// <summary>When, after <paramref name="from"/>, some node first held a valid lease (null: never until the end).</summary>
    public TimeSpan? FirstLeaseAfter(TimeSpan from) => _leaseSeenAt.Where(t => t >= from).Cast<TimeSpan?>().FirstOrDefault();

    private readonly List<TimeSpan> _leaseSeenAt = new();

    private void InjectFault()
    {
        var before = _trace is null ? null : LinkText();
        InjectFaultCore();
        if (_trace is not null) Log($"fault: links {before} -> {LinkText()}, loss {_lossRate:0.00}");
    }

    private void InjectFaultCore()
    {
        switch (_random.Next(6))
        {
            case 0: // split into two random sides
                var side = _nodes.Select(_ => _random.Next(2) == 0).ToArray();
                for (var a = 0; a < _nodes.Length; a++)
                for (var b = 0; b < _nodes.Length; b++)
                    _linkUp[a, b] = side[a] == side[b];
                break;
            case 1: // one-way cut
                _linkUp[_random.Next(_nodes.Length), _random.Next(_nodes.Length)] = false;
                break;
            case 2: // isolate whoever leads now
                var leader = _nodes.FirstOrDefault(n => n.Up && n.State!.Role == ElectionRole.Primary);
                if (leader is not null) for (var x = 0; x < _nodes.Length; x++) { _linkUp[leader.Index, x] = false; _linkUp[x, leader.Index] = false; }
                break;
            case 3: // crash one node, or restart a crashed one
                var pick = _nodes[_random.Next(_nodes.Length)];
                if (pick.Up && _nodes.Count(n => n.Up) > 1) Crash(pick); else if (!pick.Up) Restart(pick);
                break;
            case 4:
                _lossRate = _random.NextDouble() * 0.3;
                break;
            default:
                SetAllLinks(true);
                _lossRate = 0;
                break;
        }
    }

    private void SetAllLinks(bool up)
    {
        for (var a = 0; a < _nodes.Length; a++)
        for (var b = 0; b < _nodes.Length; b++)
            _linkUp[a, b] = up;
    }

    private void Start(SimNode node)
    {
        Log($"{node.Id} starts with saved generation {node.SavedGeneration}, vote {node.SavedVote ?? "none"}");
        node.Up = true;
        node.Incarnation++;
        node.State = new ElectionState(node.Id, Members, _options, new Random(_random.Next()), node.SavedGeneration, node.SavedGeneration,
            node.SavedVote, node.Local(Now)) { Log = node.Position };
        ScheduleTick(node, TimeSpan.FromTicks(_random.Next(1, (int)TickEvery.Ticks)));
    }

    private void Crash(SimNode node)
    {
        Log($"{node.Id} crashes");
        node.Up = false;
        node.State = null; // in-flight events for it check Incarnation and drop
    }

    private void Restart(SimNode node) => Start(node);

    private void ScheduleTick(SimNode node, TimeSpan after)
    {
        var incarnation = node.Incarnation;
        Schedule(Now + after, () =>
        {
            if (!node.Up || node.Incarnation != incarnation) return;
            if (node.State!.Role == ElectionRole.Primary && _random.Next(2) == 0) node.Log.Add(node.State.Generation); // a client write
            node.State.Log = node.Position;
            Apply(node, node.State.Tick(node.Local(Now)));
            ScheduleTick(node, TickEvery);
        });
    }

    private void Schedule(TimeSpan at, Action action) => _events.Enqueue(action, (at.Ticks, _seq++));

    /// <summary>At <paramref name="at"/>, <paramref name="id"/> is made primary of <paramref name="generation"/> by its
    /// driver, as the configured initial primary is when it finishes starting (late, on a busy machine, while the
    /// others may have elected one of their own). If its state takes the role, it counts as that generation's leader.</summary>
    public void AssumePrimaryAt(string id, TimeSpan at, ulong generation)
    {
        var node = _nodes.First(n => n.Id == id);
        Schedule(at, () =>
        {
            if (!node.Up) return;
            node.State!.Log = node.Position;
            var output = node.State.AssumePrimary(node.Local(Now), generation);
            Log($"{node.Id} is made primary of generation {generation} by its driver => [{string.Join("; ", output.Actions)}]");
            Apply(node, output);
            if (node.State.Role == ElectionRole.Primary) OnElected(node, node.State.Generation);
        });
    }

    private void Apply(SimNode node, ElectionOutput output)
    {
        foreach (var action in output.Actions)
        {
            switch (action)
            {
                case SaveVote v: node.SavedGeneration = v.Generation; node.SavedVote = v.VotedFor; break;
                case BecomePrimary p: OnElected(node, p.Generation); break;
            }
        }
        foreach (var send in output.Sends) Send(node, send);
    }

    private void OnElected(SimNode node, ulong generation)
    {
        if (_leaders.TryGetValue(generation, out var other) && other != node.Id)
            Violations.Add($"{Now}: two primaries in generation {generation}: {other} and {node.Id}");
        _leaders[generation] = node.Id;
        foreach (var (index, gen) in _acknowledged)
            if (index >= node.Log.Count || node.Log[index] != gen)
                Violations.Add($"{Now}: {node.Id} elected in generation {generation} without the acknowledged entry #{index} of generation {gen}");
        node.Log.Add(generation); // the generation-start record
        node.Matched.Clear();
        node.AcknowledgedUpTo = 0;
    }

    private void Send(SimNode from, Outgoing send)
    {
        var to = _nodes.First(n => n.Id == send.To);
        if (!_linkUp[from.Index, to.Index] || _random.NextDouble() < _lossRate) return;
        var delay = TimeSpan.FromMilliseconds(1 + _random.NextDouble() * (_random.Next(10) == 0 ? 60 : 8));
        var snapshot = send.Message is Heartbeat { IsPrimary: true } ? from.Log.ToList() : null; // the log shipped with it
        var ackedLength = from.Log.Count;
        var incarnation = to.Incarnation;
        Schedule(Now + delay, () =>
        {
            if (!to.Up || to.Incarnation != incarnation) return;
            to.State!.Log = to.Position;
            var output = to.State.Receive(to.Local(Now), send.Message);
            if (_trace is not null && send.Message is not Heartbeat { IsPrimary: false })
                Log($"{from.Id}->{to.Id} {send.Message} (sent {(Now - delay).TotalMilliseconds:0.000}) => " +
                    $"[{string.Join("; ", output.Sends.Select(x => $"{x.Message.GetType().Name} to {x.To}"))}] [{string.Join("; ", output.Actions)}]");
            if (snapshot is not null && output.Sends.Any(s => s.Message is HeartbeatAck)) Copy(to, snapshot);
            if (send.Message is HeartbeatAck && to.State.Role == ElectionRole.Primary && send.Message.Generation == to.State.Generation)
                OnReplicaHolds(to, from, ackedLength);
            Apply(to, output);
        });
    }

    /// <summary>A replica accepted the primary's heartbeat: its log becomes the primary's (what the real link ships
    /// after cutting a divergent suffix), unless it already holds more of the same log.</summary>
    private static void Copy(SimNode replica, List<ulong> primaryLog)
    {
        var isPrefix = primaryLog.Count <= replica.Log.Count && primaryLog.SequenceEqual(replica.Log.Take(primaryLog.Count));
        if (isPrefix) return;
        replica.Log.Clear();
        replica.Log.AddRange(primaryLog);
    }

    /// <summary>The primary learns a replica holds its log up to <paramref name="length"/>; entries a majority holds
    /// are acknowledged to clients, but only while the lease holds (as the real coordinator checks).</summary>
    private void OnReplicaHolds(SimNode primary, SimNode replica, int length)
    {
        if (length > replica.Log.Count || !replica.Log.Take(length).SequenceEqual(primary.Log.Take(length))) return;
        primary.Matched[replica.Id] = Math.Max(primary.Matched.GetValueOrDefault(replica.Id), length);
        var majority = Members.Count(m => m.Voting) / 2 + 1;
        var lengths = primary.Matched.Where(kv => Members.First(m => m.Id == kv.Key).Voting).Select(kv => kv.Value)
            .Append(primary.Log.Count).OrderDescending().ToList();
        if (lengths.Count < majority || !primary.State!.LeaseValid(primary.Local(Now))) return;
        var committed = lengths[majority - 1];
        for (var i = primary.AcknowledgedUpTo; i < committed; i++)
            if (primary.Log[i] == primary.State.Generation) _acknowledged.Add((i, primary.Log[i]));
        primary.AcknowledgedUpTo = Math.Max(primary.AcknowledgedUpTo, committed);
    }

    private void Log(string line) => _trace?.Add($"{Now.TotalMilliseconds,10:0.000} ms  {line}");

    /// <summary>Traces each node's role, generation and lease when they change.</summary>
    private void TraceRoles()
    {
        foreach (var n in _nodes.Where(n => n.Up))
        {
            var state = $"{n.State!.Role} in generation {n.State.Generation}{(n.State.LeaseValid(n.Local(Now)) ? ", lease held" : "")}";
            if (n.Traced == state) continue;
            n.Traced = state;
            Log($"{n.Id} is {state}");
        }
    }

    private string LinkText()
    {
        var down = new List<string>();
        for (var a = 0; a < _nodes.Length; a++)
        for (var b = 0; b < _nodes.Length; b++)
            if (a != b && !_linkUp[a, b]) down.Add($"{_nodes[a].Id}->{_nodes[b].Id}");
        return down.Count == 0 ? "all up" : "down " + string.Join(",", down);
    }

    private void CheckLeases()
    {
        var holders = _nodes.Where(n => n.Up && n.State!.LeaseValid(n.Local(Now))).ToList();
        if (holders.Count > 1 && _firstViolationAt is null) _firstViolationAt = Trace.Count;
        if (holders.Count > 1)
            Violations.Add($"{Now}: leases overlap: {string.Join(", ", holders.Select(h => $"{h.Id} (generation {h.State!.Generation})"))}");
        if (holders.Count > 0 && (_leaseSeenAt.Count == 0 || _leaseSeenAt[^1] != Now)) _leaseSeenAt.Add(Now);
    }

    private sealed class SimNode(int index, string id, double offsetMs, double drift)
    {
        public int Index { get; } = index;
        public string Id { get; } = id;
        public ElectionState? State { get; set; }
        public bool Up { get; set; }
        public int Incarnation { get; set; }
        public ulong SavedGeneration { get; set; }
        public string? SavedVote { get; set; }
        public List<ulong> Log { get; } = new();
        public Dictionary<string, int> Matched { get; } = new();
        public int AcknowledgedUpTo { get; set; }
        public string? Traced { get; set; }
        public LogPosition Position => new(Log.Count == 0 ? 0 : Log[^1], (ulong)Log.Count);
        public TimeSpan Local(TimeSpan real) => TimeSpan.FromMilliseconds(offsetMs) + real * (1 + drift);
    }
}
