using System.Net.Sockets;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Apply;
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
    Func<Lsn, CancellationToken, Task> DivergedAt);
