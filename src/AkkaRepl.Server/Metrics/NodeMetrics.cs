using System.Diagnostics.Metrics;
using AkkaRepl.Core.Diagnostics;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Replication.Replica;
using AkkaRepl.Server.Node;
using AkkaRepl.Server.Resp;
using AkkaRepl.Wal;
using AkkaRepl.Wal.Diagnostics;

namespace AkkaRepl.Server.Metrics;

/// <summary>
/// The instruments of one node on its <see cref="AkkaReplMeter"/>. Positions, lag, link states and headroom are
/// observable: read from the node's status when a collector asks (at most every 200 ms, so one scrape builds the status
/// once), never kept twice. Latencies are histograms recorded where they happen: each WAL group commit (on the
/// writer's thread, via <see cref="IWalObserver"/>) and each client write (commit latency by durability level).
/// Every metric is listed in docs/metrics.md.
/// </summary>
internal sealed class NodeMetrics : IWalObserver, IDisposable
{
    private static readonly string[] ReplicaStates = Enum.GetNames<ReplicaLinkState>().Select(NodeStatusBuilder.Kebab).ToArray();
    private static readonly string[] UpstreamStates = Enum.GetNames<UpstreamLinkState>().Select(NodeStatusBuilder.Kebab).ToArray();
    private static readonly TimeSpan StatusMaxAge = TimeSpan.FromMilliseconds(200);

    private readonly Func<NodeStatus> _status;
    private readonly Func<WalWriterStats?> _wal;
    private readonly Func<RespServer?> _resp;
    private readonly Func<Storage.Kv.KvStore?> _store;
    private readonly object _cacheLock = new();
    private (NodeStatus Status, long At)? _cached; // guarded by _cacheLock

    private readonly Histogram<double> _walWrite, _walSync, _batchSize, _commit;
    private readonly Counter<long> _roleChanges;

    public NodeMetrics(AkkaReplMeter meter, Func<NodeStatus> status, Func<WalWriterStats?> wal, Func<RespServer?> resp, Func<Storage.Kv.KvStore?> store)
    {
        Meter = meter;
        _status = status;
        _wal = wal;
        _resp = resp;
        _store = store;
        var m = meter.Meter;

        m.CreateObservableGauge("akkarepl.node.role", () => Roles(), "{role}",
            "1 for the role this node has now (primary or replica), 0 for the other.");
        m.CreateObservableGauge("akkarepl.node.generation", () => (long)Status().Generation, "{generation}",
            "The highest generation this node has seen (the primary's reign number).");
        m.CreateObservableGauge("akkarepl.log.position", () => Positions(), "By",
            "Log positions (LSN, a byte offset): first retained, written, flushed (fdatasync), applied, committed (at quorum), newest snapshot.");
        m.CreateObservableGauge("akkarepl.log.retained", () => (long)(Status().WrittenLsn - Status().FirstLsn), "By",
            "Log kept on disk: written LSN minus first retained LSN.");

        m.CreateObservableGauge("akkarepl.replica.lag", () => PerReplica(r => (double)r.LagBytes), "By",
            "Primary only: per replica, the primary's written LSN minus the replica's flushed LSN.");
        m.CreateObservableGauge("akkarepl.replica.lag.time", () => PerReplica(r => r.LagMs / 1000.0), "s",
            "Primary only: per replica, the age of the oldest change it has not applied yet.");
        m.CreateObservableGauge("akkarepl.replica.link.state", () => ReplicaLinkStates(), "{state}",
            "Primary only: per replica, 1 for its link's current state, 0 for the other states.");
        m.CreateObservableGauge("akkarepl.replica.retained_log", () => PerReplica(r => (double)r.LagBytes), "By",
            "Primary only: per replica, the log kept for it (from its flushed LSN to the written LSN).");
        m.CreateObservableGauge("akkarepl.replica.retained_log.headroom", () => PerReplica(r => (double)r.HeadroomBytes), "By",
            "Primary only: per replica, how much further it may fall behind before its log is no longer kept (negative: needs a rebuild).");

        m.CreateObservableGauge("akkarepl.replica.catch_up.progress", () => Status().Replicas.Where(r => r.CatchUpPercent is not null)
                .Select(r => new Measurement<double>(r.CatchUpPercent!.Value / 100.0, new KeyValuePair<string, object?>("replica", r.NodeId))), "1",
            "Primary only, while a replica catches up: the fraction of the log it lacked at connect time that was sent (0 to 1).");
        m.CreateObservableGauge("akkarepl.recovery.progress", () => Recovering(), "1",
            "While the node starts: the fraction of the current start-up phase done (0 to 1), tagged with the phase (wal, snapshot, replay, starting); absent once it is recovered.");
        m.CreateObservableGauge("akkarepl.upstream.lag", () => Upstream(u => (double)u.LagBytes), "By",
            "Replica only: the upstream's flushed LSN minus this node's flushed LSN.");
        m.CreateObservableGauge("akkarepl.upstream.link.state", () => UpstreamLinkStates(), "{state}",
            "Replica only: 1 for the link to the upstream's current state, 0 for the other states.");
        m.CreateObservableGauge("akkarepl.rebuild.progress", () => Upstream(u => u.RebuildPercent is { } p ? p / 100.0 : (double?)null), "1",
            "Replica only, while a snapshot rebuild runs: the fraction of the snapshot received (0 to 1).");
        m.CreateObservableCounter("akkarepl.rebuilds", () => Upstream(u => (double)u.RebuildsCompleted), "{rebuild}",
            "Replica only: snapshot rebuilds finished since the node started.");
        m.CreateObservableCounter("akkarepl.archive.catch_ups", () => Upstream(u => (double)u.ArchiveCatchUps), "{catch_up}",
            "Replica only: catch-ups read from the WAL archive since the node started.");

        m.CreateObservableCounter("akkarepl.process.stalls", () => Stalls(s => (s.Pauses, s.PoolDelays)), "{stall}",
            "Stalls at or above akkarepl.node.stall-warning since start, by kind: pause (the whole process stopped: a GC, or no free core) or pool (a thread-pool work item waited to run).");
        m.CreateObservableGauge("akkarepl.process.stall.longest", () => Stalls(s => (s.LongestPauseMs / 1000.0, s.LongestPoolDelayMs / 1000.0)), "s",
            "The longest stall of each kind since start (pause, pool), any length.");

        // The runtime's own figures: a GC pause stops every thread (the applier, the acks, the lease), so an operator
        // reading a lag or latency spike needs them next to the stalls above.
        m.CreateObservableCounter("akkarepl.process.gc.pause.time", () => GC.GetTotalPauseDuration().TotalSeconds, "s",
            "Time the garbage collector held every managed thread of this process since start.");
        m.CreateObservableCounter("akkarepl.process.gc.allocated", () => GC.GetTotalAllocatedBytes(precise: false), "By",
            "Bytes allocated on the managed heap since start (all threads): its rate over the write rate is the allocation per write.");
        m.CreateObservableCounter("akkarepl.process.gc.collections", () => GcCollections(), "{collection}",
            "Garbage collections since start, by generation (a gen1 collection is also counted under gen0, a gen2 under both).");

        m.CreateObservableGauge("akkarepl.store.packed_values", () => PackedValues(), "By",
            "Values of up to 16 KiB are packed into chunks: live = bytes of the values in them now, kept = bytes of the chunks still held (live and replaced or deleted values; compaction keeps it under twice live plus 8 MiB).");

        m.CreateObservableCounter("akkarepl.verify.runs", () => Verified(v => v.Runs), "{run}",
            "Verifications this node ran (akkarepl verify, POST /admin/verify, or periodic) since it started.");
        m.CreateObservableGauge("akkarepl.verify.differing_nodes", () => Verified(v => v.DifferentNodes.Count), "{node}",
            "After this node's last verification: how many nodes' state differed from the reference (0: all equal).");
        m.CreateObservableGauge("akkarepl.verify.differing_keys", () => Verified(v => v.DifferingKeys), "{key}",
            "After this node's last verification: how many keys differed, over all nodes.");

        m.CreateObservableGauge("akkarepl.durability.degraded", () => Status().Degraded ? 1 : 0, "{state}",
            "Primary only: 1 while writes are answered below their durability level (degrade policy), else 0.");
        m.CreateObservableCounter("akkarepl.durability.degraded.time", () => Status().DegradedSeconds, "s",
            "Primary only: total time spent degraded since the node started.");

        m.CreateObservableCounter("akkarepl.wal.appends", () => (_wal()?.Records) ?? 0, "{record}", "Records appended to the WAL and made durable.");
        m.CreateObservableCounter("akkarepl.wal.written", () => (_wal()?.BytesWritten) ?? 0, "By", "Record bytes written to the WAL.");
        m.CreateObservableCounter("akkarepl.wal.syncs", () => (_wal()?.Syncs) ?? 0, "{sync}", "fdatasync calls on WAL segments.");
        m.CreateObservableCounter("akkarepl.wal.batches", () => (_wal()?.Batches) ?? 0, "{batch}", "WAL group commits.");
        _walWrite = m.CreateHistogram<double>("akkarepl.wal.write.duration", "s", "Time to write one group commit's records (write(2)).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Seconds });
        _walSync = m.CreateHistogram<double>("akkarepl.wal.sync.duration", "s", "Time of one fdatasync of the WAL.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Seconds });
        _batchSize = m.CreateHistogram<double>("akkarepl.wal.batch.size", "{append}", "Appends that shared one group commit.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096] });
        _commit = m.CreateHistogram<double>("akkarepl.commit.duration", "s",
            "Primary only: client write latency until its durability level was reached (or the policy answered), by level.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Seconds });

        m.CreateObservableUpDownCounter("akkarepl.resp.connections", () => (long)(_resp()?.ConnectionCount ?? 0), "{connection}",
            "RESP client connections open now.");
        m.CreateObservableCounter("akkarepl.resp.connections.accepted", () => _resp()?.ConnectionsAccepted ?? 0, "{connection}",
            "RESP client connections accepted since the node started.");
        m.CreateObservableCounter("akkarepl.resp.commands", () => Commands(), "{command}",
            "RESP commands served, by kind (read, write, transaction, other).");

        _roleChanges = m.CreateCounter<long>("akkarepl.role.changes", "{change}", "Role changes of this node, by the role taken.");
    }

    private static readonly double[] Seconds =
        [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    public AkkaReplMeter Meter { get; }

    public void BatchCommitted(int appends, long bytes, TimeSpan write, TimeSpan sync)
    {
        _batchSize.Record(appends);
        _walWrite.Record(write.TotalSeconds);
        if (sync > TimeSpan.Zero) _walSync.Record(sync.TotalSeconds);
    }

    /// <summary>Records one client write's latency, tagged with the level asked for and its outcome: <c>met</c>,
    /// <c>degraded</c> (answered below the level) or <c>failed</c> (fail policy: durable on the primary only).</summary>
    public void CommitCompleted(Durability requested, TimeSpan elapsed, string outcome) =>
        _commit.Record(elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("durability", DurabilityLabel(requested.Kind)),
            new KeyValuePair<string, object?>("outcome", outcome));

    // The label of each durability kind (indexed by its value), made once: this runs per client write, so no enum box
    // and no new string.
    private static readonly string?[] DurabilityLabels = MakeDurabilityLabels();

    private static string?[] MakeDurabilityLabels()
    {
        var labels = new string?[byte.MaxValue + 1];
        foreach (var kind in Enum.GetValues<DurabilityKind>()) labels[(int)kind] = kind.ToString().ToLowerInvariant();
        return labels;
    }

    private static string DurabilityLabel(DurabilityKind kind) => DurabilityLabels[(int)kind] ?? kind.ToString().ToLowerInvariant();

    /// <summary>Counts the role change; a change to candidate is an election this node started, counted with its reason
    /// as a fixed word (the coordinator's reason is free text).</summary>
    public void OnRoleChanged(RoleChange change)
    {
        _roleChanges.Add(1, new KeyValuePair<string, object?>("role", change.Role.ToString().ToLowerInvariant()));
        if (change.Role == NodeRole.Candidate) Meter.ElectionStarted(ElectionReason(change.Reason));
    }

    /// <summary><c>switchover</c> when the old primary handed over, else <c>primary-silent</c> (pre-vote won because
    /// the primary was not heard from).</summary>
    internal static string ElectionReason(string reason) =>
        reason.StartsWith("switchover", StringComparison.Ordinal) ? "switchover" : "primary-silent";

    private NodeStatus Status()
    {
        lock (_cacheLock)
        {
            var now = Environment.TickCount64;
            if (_cached is { } c && now - c.At < StatusMaxAge.TotalMilliseconds) return c.Status;
            var status = _status();
            _cached = (status, now);
            return status;
        }
    }

    /// <summary>A figure of the last verification, or nothing before the first one (so a scrape never shows a false 0).</summary>
    private IEnumerable<Measurement<long>> Verified(Func<Verify.VerifyStatus, long> value)
    {
        if (Status().Verify is { Runs: > 0 } verify) yield return new Measurement<long>(value(verify));
    }

    private IEnumerable<Measurement<long>> PackedValues()
    {
        if (_store() is not { } store) yield break;
        var (live, kept) = store.PackedValueBytes;
        yield return new Measurement<long>(live, new KeyValuePair<string, object?>("bytes", "live"));
        yield return new Measurement<long>(kept, new KeyValuePair<string, object?>("bytes", "kept"));
    }

    /// <summary>Collections so far, one figure per generation.</summary>
    private static IEnumerable<Measurement<long>> GcCollections()
    {
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
            yield return new Measurement<long>(GC.CollectionCount(generation), new KeyValuePair<string, object?>("generation", $"gen{generation}"));
    }

    /// <summary>One figure per kind of stall (pause, pool), or nothing when the stall monitor is off.</summary>
    private IEnumerable<Measurement<T>> Stalls<T>(Func<StallStatus, (T Pause, T Pool)> value) where T : struct
    {
        if (Status().Stalls is not { } stalls) yield break;
        var (pause, pool) = value(stalls);
        yield return new(pause, new KeyValuePair<string, object?>("kind", "pause"));
        yield return new(pool, new KeyValuePair<string, object?>("kind", "pool"));
    }

    private IEnumerable<Measurement<long>> Roles()
    {
        var role = Status().Role;
        yield return new(role == "primary" ? 1 : 0, new KeyValuePair<string, object?>("role", "primary"));
        yield return new(role == "replica" ? 1 : 0, new KeyValuePair<string, object?>("role", "replica"));
    }

    private IEnumerable<Measurement<long>> Positions()
    {
        var s = Status();
        foreach (var (name, value) in new[] { ("first", s.FirstLsn), ("written", s.WrittenLsn), ("flushed", s.FlushedLsn),
                     ("applied", s.AppliedLsn), ("committed", s.CommittedLsn), ("snapshot", s.SnapshotLsn) })
            yield return new((long)value, new KeyValuePair<string, object?>("position", name));
    }

    private IEnumerable<Measurement<double>> PerReplica(Func<ReplicaStatus, double> value) =>
        Status().Replicas.Select(r => new Measurement<double>(value(r), new KeyValuePair<string, object?>("replica", r.NodeId)));

    private IEnumerable<Measurement<long>> ReplicaLinkStates() =>
        Status().Replicas.SelectMany(r => ReplicaStates.Select(state => new Measurement<long>(r.State == state ? 1 : 0,
            new KeyValuePair<string, object?>("replica", r.NodeId), new KeyValuePair<string, object?>("state", state))));

    private IEnumerable<Measurement<double>> Upstream(Func<UpstreamStatus, double?> value)
    {
        if (Status().Upstream is { } u && value(u) is { } v) yield return new(v);
    }

    private IEnumerable<Measurement<double>> Recovering()
    {
        if (Status().Recovery is { } r) yield return new(r.Percent / 100.0, new KeyValuePair<string, object?>("phase", r.Phase));
    }

    private IEnumerable<Measurement<long>> UpstreamLinkStates() =>
        Status().Upstream is { } u ? UpstreamStates.Select(state => new Measurement<long>(u.State == state ? 1 : 0,
            new KeyValuePair<string, object?>("state", state))) : [];

    private IEnumerable<Measurement<long>> Commands()
    {
        if (_resp()?.Commands is not { } c) yield break;
        yield return new(c.Reads, new KeyValuePair<string, object?>("kind", "read"));
        yield return new(c.Writes, new KeyValuePair<string, object?>("kind", "write"));
        yield return new(c.Transactions, new KeyValuePair<string, object?>("kind", "transaction"));
        yield return new(c.Other, new KeyValuePair<string, object?>("kind", "other"));
    }

    public void Dispose() => Meter.Dispose();
}
