using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Cluster.Election;

namespace AkkaRepl.Replication.Cluster;

/// <summary>Planned switchover: hand the primary role to a chosen member with no write lost at any durability.</summary>
public sealed partial class Coordinator
{
    /// <summary>Test seam: awaited each time the target is seen to hold the whole log, before the handover.</summary>
    internal Func<Task>? BeforeHandOver { get; set; }

    private int _handingOver; // 1: a switchover is about to hand over; no write is acknowledged (cleared on becoming primary)
    private int _writesEntering; // writes past the accepts-writes check, not yet in the WAL's queue

    /// <summary>A write starts: true (with the generation to write in) when this node accepts it now. Then call
    /// <see cref="WriteQueued"/> once the write is in the WAL's queue, or failed to get there: a switchover that closed
    /// the door waits for the writes that came in before it (a write appended after the handover would be cut).</summary>
    internal bool TryEnterWrite(out Generation generation)
    {
        Interlocked.Increment(ref _writesEntering); // a full fence, before the check (see SwitchoverAsync)
        if (AcceptsWrites && WritingGeneration is { } writing)
        {
            generation = writing;
            return true;
        }
        Interlocked.Decrement(ref _writesEntering);
        generation = default;
        return false;
    }

    /// <summary>The write <see cref="TryEnterWrite"/> let in is in the WAL's queue (or failed to get there).</summary>
    internal void WriteQueued() => Interlocked.Decrement(ref _writesEntering);

    /// <summary>
    /// On the primary: stop accepting writes, wait until <paramref name="target"/> has flushed everything this node
    /// wrote, give up the lease and tell the target to start an election at once; it wins a new generation (its log
    /// is at least everyone's) and this node follows it. If the target does not catch up within the durability
    /// timeout, writes resume here and the switchover fails with the reason. Returns the new primary's generation.
    /// </summary>
    public async Task<Generation> SwitchoverAsync(string target, CancellationToken ct)
    {
        if (_election is null)
            throw new AkkaReplException("switchover needs automatic failover: akkarepl.election.enabled is off (use akkarepl promote)");
        if (Role != NodeRole.Primary || WritingGeneration is not { } generation)
            throw new AkkaReplException($"node {_c.Self} is not the primary" + (PrimaryId is { } p ? $"; ask {p}" : ""));
        var member = _c.Cluster.Members.FirstOrDefault(m => m.Id == target)
            ?? throw new AkkaReplException($"'{target}' is not a member ({string.Join(", ", _c.Cluster.Members.Select(m => m.Id))})");
        if (member.Id == _c.Self.Value) throw new AkkaReplException($"{target} is already the primary");
        if (!member.Voting || member.NoPromote) throw new AkkaReplException($"{target} may not be primary (voting = {member.Voting}, no-promote = {member.NoPromote})");

        _acceptsWrites = false; // new writes get READONLY; writes already let in finish below
        Interlocked.MemoryBarrier(); // with TryEnterWrite's: a write either sees the door closed, or is counted below
        // Deadlines on the monotonic clock: a wall-clock step (NTP) must not stretch or cut the wait.
        var started = _c.Time.GetTimestamp();
        var end = _c.Wal.WrittenLsn;
        long? drained = null; // the WAL's queue ticket once every write let in is queued
        while (true)
        {
            // Writes that passed the accepts-writes check before it closed: each gets into the WAL's queue, then the
            // queue is written up to them. Only then does the log's end cover them all, and none is appended after the
            // handover (in the old generation, to be cut as soon as this node follows the target).
            if (drained is null && Volatile.Read(ref _writesEntering) == 0) drained = _c.Wal.QueuedCommands;
            var settled = drained is { } ticket && _c.Wal.HasSettled(ticket);
            end = Lsn.Max(end, _c.Wal.WrittenLsn);
            var held = _gate?.Replicas.TryGetValue(new NodeId(target), out var position) == true ? position.Flush : Lsn.Zero;
            if (settled && held >= end && _c.Wal.FlushedLsn >= end)
            {
                // No acknowledgement from here on, then one more look: a write that passed the accepts-writes check
                // before it closed may be appended only now, and acknowledged (at local, or replicas(k) without the
                // target) before the handover it would be lost when the target leads without it.
                Interlocked.Exchange(ref _handingOver, 1);
                if (BeforeHandOver is { } hook) await hook().ConfigureAwait(false);
                if (_c.Wal.WrittenLsn <= end) break;
                Volatile.Write(ref _handingOver, 0); // there is one: acknowledge again, and wait for the target to hold it
                continue;
            }
            if (_c.Time.GetElapsedTime(started) > _c.Replication.DurabilityTimeout || Role != NodeRole.Primary)
            {
                if (Role == NodeRole.Primary && WritingGeneration == generation) _acceptsWrites = true;
                throw new AkkaReplException($"switchover to {target} aborted: it holds the log to {held}, not {end}, after {_c.Replication.DurabilityTimeout.TotalMilliseconds:0} ms; writes resumed here");
            }
            try { await Task.Delay(TimeSpan.FromMilliseconds(2), _c.Time, ct).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                // The caller went away (an HTTP request cut, Ctrl-C): nothing was handed over yet, so this node goes
                // on as the primary, as on a timeout. Left refusing writes, it would keep its lease and no election
                // would ever come.
                if (Role == NodeRole.Primary && WritingGeneration == generation) _acceptsWrites = true;
                throw;
            }
        }
        Elect(s => s.HandOver(ElectionNow, target));
        var handedOver = _c.Time.GetTimestamp();
        while (!(Role == NodeRole.Replica && PrimaryId == target))
        {
            if (_c.Time.GetElapsedTime(handedOver) > _c.Election!.ElectionTimeout * 4)
                throw new AkkaReplException($"handed over to {target}, but it did not lead within {(_c.Election.ElectionTimeout * 4).TotalMilliseconds:0} ms; the cluster elects a primary on its own");
            await Task.Delay(TimeSpan.FromMilliseconds(5), _c.Time, ct).ConfigureAwait(false);
        }
        return Generation;
    }
}
