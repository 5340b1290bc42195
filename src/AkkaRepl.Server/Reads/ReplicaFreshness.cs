using AkkaRepl.Server.Node;

namespace AkkaRepl.Server.Reads;

/// <summary>
/// How far behind the primary a replica's state is, in time, for bounded-staleness reads. The state is
/// "fresh as of" the latest moment T such that every record the primary committed before T is applied here.
/// Two facts prove such a T, and the newer one wins:
/// <list type="bullet">
/// <item>the newest applied record's commit timestamp: commit timestamps grow with the LSN, so every record
/// stamped before it is at a lower LSN and applied;</item>
/// <item>the primary's last heartbeat, once everything received before it is applied: the primary sends a
/// heartbeat only after it sent all the log it had written, so records stamped before it arrived before it.
/// A record is stamped a moment before it counts as written; <see cref="HeartbeatSlack"/> covers that moment.
/// Only a heartbeat from the primary itself counts (a cascaded replica's upstream may be behind), and it carries the
/// last time that primary held its lease: after that another primary may have been elected and committed.</item>
/// </list>
/// Staleness is now minus T. It compares the primary's clock with this node's: clock skew between machines adds
/// to the error (zero on one machine).
/// </summary>
public sealed class ReplicaFreshness(NodeHost node)
{
    /// <summary>Taken off a heartbeat's timestamp: the time between the WAL stamping a record and the record counting as written.</summary>
    public static readonly TimeSpan HeartbeatSlack = TimeSpan.FromMilliseconds(10);

    /// <summary>Now minus the freshness point; null when nothing proves any freshness yet.</summary>
    public TimeSpan? Staleness()
    {
        long? fresh = node.Timeline.NewestMicros;
        var coordinator = node.Coordinator;
        // A timestamp of 0: the primary has not held a lease on this link yet, so its heartbeats vouch for nothing.
        if (coordinator.Receiver?.LastHeartbeat is { TimestampMicros: > 0 } hb && hb.Upstream.Value == coordinator.PrimaryId
            && node.Applier.AppliedLsn >= hb.ReceivedEnd)
        {
            var heartbeat = hb.TimestampMicros - (long)(HeartbeatSlack.Ticks / 10);
            if (fresh is null || heartbeat > fresh) fresh = heartbeat;
        }
        if (fresh is null) return null;
        var nowMicros = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / 10;
        return TimeSpan.FromTicks(Math.Max(0, nowMicros - fresh.Value) * 10);
    }
}
