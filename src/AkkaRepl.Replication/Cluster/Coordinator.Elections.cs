using System.Net;
using System.Threading.Channels;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Cluster.Election;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Transport;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Replication.Cluster;

/// <summary>
/// The coordinator's driver of <see cref="ElectionState"/>: ticks it every quarter heartbeat (5-25 ms), feeds it control-lane messages,
/// saves votes before anything is sent, and turns its decisions into role changes, one at a time, on one worker.
/// Elections run when <c>akkarepl.election.enabled</c> and the group has more than one member.
/// </summary>
public sealed partial class Coordinator
{
    private readonly object _electionLock = new();                     // guards _election and the order of its outputs
    private readonly Channel<Func<Task>> _roleWork = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });
    private ElectionState? _election;                                  // written under _electionLock
    private ControlLane? _lane;
    private VoteStore? _votes;
    private Task _electionLoop = Task.CompletedTask;
    private Task _roleWorker = Task.CompletedTask;
    private readonly TaskCompletionSource _failure = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Faults when elections cannot go on safely (a vote could not be saved): the node must stop.</summary>
    public Task Failure => _failure.Task;
    private long _origin;
    private long _leaseUntilTicks = long.MaxValue;                     // published under _electionLock; MaxValue: no lease needed

    /// <summary>True when this node is the primary and holds a valid lease (a majority acknowledged it within the
    /// lease), so no other node can have been elected meanwhile. Without elections, true on the primary.</summary>
    public Task<bool> ConfirmLeadershipAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(Role == NodeRole.Primary && _acceptsWrites && LeaseHolds());
    }

    /// <summary>Automatic failover is on for this node.</summary>
    public bool ElectionsEnabled => _election is not null;

    /// <summary>How long the lease still runs (null when elections are off or this node holds none).</summary>
    public TimeSpan? LeaseRemaining
    {
        get
        {
            var until = Volatile.Read(ref _leaseUntilTicks);
            if (_election is null || until == long.MinValue) return null;
            var left = TimeSpan.FromTicks(until) - ElectionNow;
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    private TimeSpan ElectionNow => _c.Time.GetElapsedTime(_origin);

    private bool LeaseHolds() => ElectionNow.Ticks < Volatile.Read(ref _leaseUntilTicks);

    /// <summary>Elections will run on this node (they start once the starting role is taken): enabled, a group of more
    /// than one member, and a data directory to save votes in.</summary>
    private bool ElectionsConfigured => _c.Election is { Enabled: true } && _c.Cluster.Members.Count >= 2 && _c.DataDirectory is not null;

    /// <summary>Starts elections from the vote <paramref name="saved"/> in the data directory (read at start-up, so the
    /// generation this node started from already counts it).</summary>
    private void StartElections(SavedVote? saved)
    {
        if (!ElectionsConfigured) return;
        var options = _c.Election!;
        _origin = _c.Time.GetTimestamp();
        var members = _c.Cluster.Members.Select(m => new ElectionMember(m.Id, m.Voting, m.Priority, m.NoPromote)).ToList();
        var peers = _c.Cluster.Members.Where(m => m.Id != _c.Self.Value).ToDictionary(m => m.Id,
            m => IPAddress.TryParse(m.Host, out var ip) ? (EndPoint)new IPEndPoint(ip, m.ReplicationPort) : new DnsEndPoint(m.Host, m.ReplicationPort));
        var seed = HashCode.Combine(_c.Self.Value, Environment.ProcessId, _origin);
        lock (_electionLock)
        {
            _leaseUntilTicks = long.MinValue;
            _election = new ElectionState(_c.Self.Value, members, options, new Random(seed), Generation.Value,
                saved?.Generation ?? 0, saved?.VotedFor, ElectionNow) { Log = LogNow() };
        }
        _lane = new ControlLane(_c.Self.Value, _c.Node.ClusterId, peers, OnControlMessage, (int)_c.Replication.MaxFrameBytes, _loggers.CreateLogger<ControlLane>(), _c.LinkSecurity);
        if (Role == NodeRole.Primary && WritingGeneration is { } writing) Elect(s => s.AssumePrimary(ElectionNow, writing.Value));
        else Elect(s => s.AssumeReplica(ElectionNow, PrimaryId, Generation.Value));
        _roleWorker = Task.Run(() => RoleWorkerAsync(_stop.Token));
        _electionLoop = Task.Run(() => ElectionLoopAsync(TickEvery(options.HeartbeatInterval), _stop.Token));
        LogElectionsOn(_logger, options.HeartbeatInterval.TotalMilliseconds, options.ElectionTimeout.TotalMilliseconds, options.Lease.TotalMilliseconds);
    }

    private async Task StopElectionsAsync()
    {
        _roleWork.Writer.TryComplete();
        try { await Task.WhenAll(_electionLoop, _roleWorker).ConfigureAwait(false); } catch (OperationCanceledException) { }
        if (_lane is not null) await _lane.DisposeAsync().ConfigureAwait(false);
    }

    private LogPosition LogNow() => new(_c.Wal.LastGeneration.Value, _c.Wal.FlushedLsn.Value);

    private Task ServeControlAsync(FrameConnection link, ControlFrame first, CancellationToken ct) =>
        _lane?.ServeAsync(link, first, ct) ?? Task.CompletedTask;

    private void OnControlMessage(ControlMessage message) => Elect(s => s.Receive(ElectionNow, message));

    /// <summary>A quarter of the heartbeat interval, within 5-25 ms: heartbeats leave at most a quarter late and a lost
    /// primary is noticed at most that much later, while an idle node wakes 40 times a second, not 100 (every wake-up
    /// of a pool thread costs CPU the two cores of a small machine share with the data path). The lease is safe at
    /// any tick: serving checks compare the clock with the lease's expiry directly.</summary>
    internal static TimeSpan TickEvery(TimeSpan heartbeat) =>
        TimeSpan.FromTicks(Math.Clamp(heartbeat.Ticks / 4, TimeSpan.FromMilliseconds(5).Ticks, TimeSpan.FromMilliseconds(25).Ticks));

    private async Task ElectionLoopAsync(TimeSpan tickEvery, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(tickEvery, _c.Time); // one timer for the node's life, not one per tick
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (!await timer.WaitForNextTickAsync(ct).ConfigureAwait(false)) return;
                Elect(s => s.Tick(ElectionNow));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception ex) { LogElectionFailed(_logger, ex.Message); }
        }
    }

    /// <summary>One input to the state machine, and its output carried out in order under the same lock: votes are
    /// durable before any message of this or a later output is queued.</summary>
    private void Elect(Func<ElectionState, ElectionOutput> input)
    {
        lock (_electionLock)
        {
            if (_election is not { } state || _failure.Task.IsFaulted) return;
            state.Log = LogNow();
            var output = input(state);
            try
            {
                foreach (var action in output.Actions) Carry(action);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A vote (or the generation with it) not saved: the state in memory is ahead of the disk, and going on
                // could grant from memory a vote that a restart forgets, then vote again in that generation (G2).
                // Supervision: the node stops with the error; nothing of this output is sent.
                FailElections(ex);
                return;
            }
            Volatile.Write(ref _leaseUntilTicks, state.Role == ElectionRole.Primary ? state.LeaseExpiry.Ticks : long.MinValue);
            foreach (var send in output.Sends) _lane?.Send(send.To, send.Message);
        }
    }

    /// <summary>Stops elections for good and fails <see cref="Failure"/> (the node stops): no lease, no writes, no
    /// further input or message. Called under <see cref="_electionLock"/>.</summary>
    private void FailElections(Exception ex)
    {
        _acceptsWrites = false;
        Volatile.Write(ref _leaseUntilTicks, long.MinValue);
        var path = _c.DataDirectory is { } dir ? Path.Combine(dir, "vote.json") : "vote.json";
        LogElectionFailed(_logger, ex.Message);
        _failure.TrySetException(new AkkaReplException(
            $"saving this node's vote ({path}) or generation failed, so the node stops rather than run on a vote that is not on disk: {ex.Message}", ex));
    }

    private void Carry(ElectionAction action)
    {
        switch (action)
        {
            case SaveVote v:
                _votes!.Save(new SavedVote(v.Generation, v.VotedFor));
                // A primary that sees a newer generation is not its primary: on record as a replica at once, so a crash
                // before the step-down below never restarts it as the primary of that generation.
                if (v.Generation > Generation.Value)
                    SaveHighest(new Generation(v.Generation), Role == NodeRole.Primary ? NodeRole.Replica : Role, Role == NodeRole.Primary ? null : PrimaryId);
                break;
            case BecameCandidate c:
                Record(NodeRole.Candidate, new Generation(c.Generation), null, c.Reason);
                break;
            case BecomePrimary p:
                _roleWork.Writer.TryWrite(async () =>
                {
                    bool still;
                    lock (_electionLock) still = _election is { Role: ElectionRole.Primary } s && s.Generation == p.Generation;
                    if (still && Role != NodeRole.Primary)
                        await BecomePrimaryAsync(newGeneration: true, p.Reason, _stop.Token, elected: new Generation(p.Generation)).ConfigureAwait(false);
                });
                break;
            case StepDown d:
                _acceptsWrites = false; // at once, not when the worker gets to it
                _roleWork.Writer.TryWrite(async () =>
                {
                    if (Role == NodeRole.Primary) await BecomeReplicaAsync(null, Generation, d.Reason, _stop.Token).ConfigureAwait(false);
                });
                break;
            case FollowPrimary f:
                _roleWork.Writer.TryWrite(async () =>
                {
                    if ((Role != NodeRole.Replica || PrimaryId != f.Primary) && f.Generation >= Generation.Value)
                        await BecomeReplicaAsync(f.Primary, new Generation(f.Generation), f.Reason, _stop.Token).ConfigureAwait(false);
                });
                break;
        }
    }

    private async Task RoleWorkerAsync(CancellationToken ct)
    {
        await foreach (var work in _roleWork.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            try { await work().ConfigureAwait(false); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception ex) { LogElectionFailed(_logger, ex.Message); }
        }
    }

    /// <summary>Tells the state machine about a role change made by other means (start-up, manual promote or follow).</summary>
    private void ElectionRoleChanged(NodeRole role, Generation generation, string? primary)
    {
        if (role == NodeRole.Primary) Elect(s => s.AssumePrimary(ElectionNow, generation.Value));
        else Elect(s => s.AssumeReplica(ElectionNow, primary, generation.Value));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Automatic failover on: heartbeat every {Heartbeat} ms, election timeout {Timeout} ms, lease {Lease} ms")]
    private static partial void LogElectionsOn(ILogger logger, double heartbeat, double timeout, double lease);

    [LoggerMessage(Level = LogLevel.Error, Message = "Election step failed: {Error}")]
    private static partial void LogElectionFailed(ILogger logger, string error);
}
