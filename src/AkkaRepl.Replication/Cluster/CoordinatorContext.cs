using System.Net.Sockets;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Apply;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Storage.StateMachine;
using AkkaRepl.Wal;

namespace AkkaRepl.Replication.Cluster;

/// <summary>The parts of a node the coordinator drives.</summary>
public sealed record CoordinatorContext(
    NodeId Self,
    NodeOptions Node,
    ClusterOptions Cluster,
    ReplicationOptions Replication,
    WalWriter Wal,
    Applier Applier,
    GenerationHistory History,
    NodeStateStore StateStore,
    TcpListener ReplicationListener,
    TimeProvider Time,
    /// <summary>Called when the log has a suffix the upstream does not share: cut it after the given position,
    /// save the removed records and, if they were applied, rebuild the state as of the cut.</summary>
    Func<Lsn, CancellationToken, Task> DivergedAt,
    /// <summary>A consistent image of the applied state, to rebuild a replica from.</summary>
    Func<IStateImage> CaptureImage,
    /// <summary>Replaces this node's state and log with a received snapshot (the file at the path), to go on
    /// streaming from its LSN.</summary>
    Func<Replica.IncomingSnapshot, CancellationToken, Task> RebuildFrom,
    /// <summary>Where snapshots in transit are staged.</summary>
    string ScratchDirectory,
    /// <summary>The WAL archive, when one is configured.</summary>
    Archive.WalArchive? Archive,
    /// <summary>Automatic failover settings; null: elections off (static roles and manual promotion).</summary>
    ElectionOptions? Election = null,
    /// <summary>The data directory, where the vote is saved; required when <see cref="Election"/> is on.</summary>
    string? DataDirectory = null,
    /// <summary>TLS and the cluster secret on every node link; null: the cluster secret of <see cref="Replication"/> only.</summary>
    Security.LinkSecurity? Links = null,
    /// <summary>How peers' HTTP ports are called (HTTPS, admin token); null: plain HTTP.</summary>
    Security.PeerHttp? PeerHttp = null)
{
    /// <summary>How node links are opened: <see cref="Links"/>, or the cluster secret alone.</summary>
    public Security.LinkSecurity LinkSecurity => Links ?? new Security.LinkSecurity(Replication.ClusterSecret, null);
}
