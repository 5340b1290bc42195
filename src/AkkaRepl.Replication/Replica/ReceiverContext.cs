using System.Net;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Apply;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Wal;

namespace AkkaRepl.Replication.Replica;

/// <summary>What a replica's receiver needs from its node, and the events it reports back.</summary>
public sealed record ReceiverContext(
    NodeId Self,
    string ClusterId,
    WalWriter Wal,
    GenerationHistory History,
    Applier Applier,
    ReplicationOptions Options,
    TimeProvider Time,
    Func<Generation> HighestGeneration,
    Func<(NodeId Id, EndPoint Address)?> Upstream,
    Action<Generation, NodeId> GenerationSeen,
    Func<Lsn, CancellationToken, Task> DivergedAt,
    Action<NodeId> NeedsRebuild,
    /// <summary>Receives a snapshot (see <see cref="IncomingSnapshot"/>) and replaces the node's state and log with it.</summary>
    Func<IncomingSnapshot, CancellationToken, Task> RebuildFrom,
    string ScratchDirectory,
    Archive.WalArchive? Archive,
    /// <summary>TLS and the cluster secret on the upstream link; null: the cluster secret of <see cref="Options"/> only.</summary>
    Security.LinkSecurity? Links = null)
{
    /// <summary>How the upstream link is opened: <see cref="Links"/>, or the cluster secret alone.</summary>
    public Security.LinkSecurity LinkSecurity => Links ?? new Security.LinkSecurity(Options.ClusterSecret, null);
}
