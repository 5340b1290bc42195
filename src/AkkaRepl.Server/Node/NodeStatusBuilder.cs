using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Apply;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Wal;

namespace AkkaRepl.Server.Node;

/// <summary>Assembles <see cref="NodeStatus"/> from the node's parts; every figure is read, none is kept twice.</summary>
internal static class NodeStatusBuilder
{
    public static NodeStatus Build(NodeHost node, AkkaReplOptions options, WalWriter? wal, Applier? applier, Checkpointer? checkpointer,
        Coordinator? coordinator, CommitTimeline timeline, int connections)
    {
        var written = wal?.WrittenLsn ?? Lsn.Zero;
        var now = DateTimeOffset.UtcNow;
        var gate = coordinator?.Gate;
        var replicas = new List<ReplicaStatus>();
        if (coordinator is not null && coordinator.Role == NodeRole.Primary)
        {
            var sessions = coordinator.Server?.Sessions.ToDictionary(s => s.Replica.Value) ?? [];
            var rebuildNeeded = coordinator.RebuildNeeded;
            foreach (var member in options.Cluster.Members.Where(m => m.Id != node.NodeId.Value))
            {
                sessions.TryGetValue(member.Id, out var session);
                var position = session?.Position ?? (gate?.Replicas.TryGetValue(new NodeId(member.Id), out var p) == true ? p : default);
                // Away and behind the first retained LSN: it can only come back through a rebuild.
                var fellOff = session is null && wal is not null && position.Flush > Lsn.Zero && position.Flush < wal.FirstLsn;
                var state = session?.State ?? (rebuildNeeded.Contains(member.Id) || fellOff
                    ? ReplicaLinkState.NeedsRebuild : ReplicaLinkState.Disconnected);
                var lag = written - position.Flush;
                replicas.Add(new ReplicaStatus(member.Id, Kebab(state.ToString()), session?.SentLsn.Value ?? 0, position.Write.Value,
                    position.Flush.Value, position.Apply.Value, lag, Math.Round(timeline.LagOf(position.Apply, now).TotalMilliseconds, 3),
                    options.Replication.RetainedLogMaxBytes - (long)lag, session?.LastAckAt,
                    session?.CatchUpPercent is { } catchUp ? Math.Round(catchUp, 1) : null));
            }
        }
        UpstreamStatus? upstream = null;
        if (coordinator?.Receiver is { } receiver)
            upstream = new UpstreamStatus(receiver.UpstreamId?.Value, Kebab(receiver.State.ToString()), receiver.UpstreamFlushedLsn.Value,
                receiver.UpstreamCommitLsn.Value, receiver.UpstreamFlushedLsn - (wal?.FlushedLsn ?? Lsn.Zero), receiver.LastError,
                receiver.RebuildPercent is { } p ? Math.Round(p, 1) : null, receiver.RebuildsCompleted, receiver.ArchiveCatchUps);
        var committed = gate?.DurableAt(Durability.Quorum) ?? coordinator?.Receiver?.UpstreamCommitLsn ?? Lsn.Zero;
        return new NodeStatus(
            node.NodeId.Value,
            options.Node.ClusterId,
            coordinator is null ? "recovering" : coordinator.Role == NodeRole.Primary ? "primary" : "replica",
            coordinator?.Generation.Value ?? 0,
            coordinator?.PrimaryId,
            node.AcceptsWrites,
            wal?.FirstLsn.Value ?? 0,
            written.Value,
            wal?.FlushedLsn.Value ?? 0,
            applier?.AppliedLsn.Value ?? 0,
            committed.Value,
            checkpointer?.LastSnapshotLsn.Value ?? 0,
            node.DefaultDurability.ToString(),
            gate?.IsDegraded ?? false,
            Math.Round(gate?.DegradedTotal.TotalSeconds ?? 0, 3),
            replicas,
            upstream,
            coordinator?.RecentEvents.Select(e => new RoleEvent(e.At, e.Node.Value, e.Role.ToString().ToLowerInvariant(), e.Generation.Value, e.PrimaryId, e.Reason)).ToList() ?? [],
            options.Cluster.Members.Select(m => new MemberAddress(m.Id, m.Host, m.RespPort, m.HttpPort, m.ReplicationPort)).ToList(),
            connections,
            node.StartedAt)
        {
            Events = coordinator?.RecentEvents.Select(e => new StatusEvent(e.At.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                e.Node.Value, e.Generation.Value, e.Role.ToString().ToLowerInvariant(), e.Reason)).ToList() ?? [],
            Election = coordinator is { ElectionsEnabled: true } c
                ? new ElectionStatus(true, c.LeaseRemaining is { } left ? Math.Round(left.TotalMilliseconds, 1) : null) : null,
        };
    }

    /// <summary>CatchingUp -> catching-up, as status and docs spell link states.</summary>
    public static string Kebab(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
