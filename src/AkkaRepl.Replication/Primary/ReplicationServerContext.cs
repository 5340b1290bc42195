using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Storage.StateMachine;
using AkkaRepl.Wal;

namespace AkkaRepl.Replication.Primary;

/// <summary>What the replication server needs from its node, and the events it reports back.</summary>
public sealed record ReplicationServerContext(
    NodeId Self,
    string ClusterId,
    WalWriter Wal,
    GenerationHistory History,
    ReplicationOptions Options,
    TimeProvider Time,
    Func<Generation> Generation,
    Func<NodeId, bool> IsMember,
    Func<bool> ServesReplicas,
    Func<Lsn> CommitLsn,
    Action<ReplicaSession> ReplicaConnected,
    Action<ReplicaSession> ReplicaAcked,
    Action<ReplicaSession> ReplicaDisconnected,
    Action<NodeId> ReplicaNeedsRebuild,
    Action<Generation, NodeId> HigherGenerationSeen,
    /// <summary>A consistent image of the applied state, to rebuild a replica from.</summary>
    Func<IStateImage> CaptureImage,
    /// <summary>Where snapshot images are staged before they are sent.</summary>
    string ScratchDirectory,
    /// <summary>Serves an incoming control-lane connection (its first frame given); null: control links are refused.</summary>
    Func<Transport.FrameConnection, Protocol.ControlFrame, CancellationToken, Task>? ControlLink = null,
    /// <summary>TLS and the cluster secret on accepted links; null: the cluster secret of <see cref="Options"/> only.</summary>
    Security.LinkSecurity? Links = null,
    /// <summary>Whether this node may vouch, now, that no other primary committed anything (it holds its lease and knows of
    /// no newer generation); heartbeats advance their timestamp only then. Null: always (static roles).</summary>
    Func<bool>? Vouches = null)
{
    /// <summary>How links are opened: <see cref="Links"/>, or the cluster secret alone.</summary>
    public Security.LinkSecurity LinkSecurity => Links ?? new Security.LinkSecurity(Options.ClusterSecret, null);
}
