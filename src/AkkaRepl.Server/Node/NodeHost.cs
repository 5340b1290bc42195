using AkkaRepl.Core.Io;
using System.Net;
using System.Net.Sockets;
using AkkaRepl.Core.Components;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Apply;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Replication.Replica;
using AkkaRepl.Server.Http;
using AkkaRepl.Server.Resp;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Wal;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Server.Node;

/// <summary>
/// The composition root of one node: opens the data directory, starts the HTTP admin endpoint (so start-up can be
/// watched: <c>/status</c> says <c>recovering</c> with a percentage, <c>/health</c> answers 503), recovers the WAL,
/// restores the newest valid snapshot and replays the log after it, lets the coordinator pick the role, then serves
/// RESP. Start-up is all or nothing: if any step fails, everything opened so far is closed again and the error names
/// what failed.
/// </summary>
public sealed partial class NodeHost : IAsyncDisposable
{
    private readonly AkkaReplOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _opened; // StartAsync finished: the node served, and its stop is worth a log line
    private readonly CommitTimeline _timeline = new();
    private readonly TimeProvider _time = TimeProvider.System;
    private DataDirectoryLock? _lock;
    private WalWriter? _wal;
    private GenerationHistory? _history;
    private volatile KvStore? _store;   // replaced when a divergent suffix is cut (see OnDivergedAsync)
    private Applier? _applier;
    private Checkpointer? _checkpointer;
    private Replication.Archive.WalArchive? _archive;
    private Coordinator? _coordinator;
    private PrimaryWriter? _writer;
    private RespServer? _resp;
    private AdminHttpServer? _http;
    private TcpListener? _replicationListener;
    private string _dataDir = "";
    private Verify.DigestRecorder? _digests;
    private Verify.VerifyService? _verification;
    private readonly Backup.AppliedStamp _stamp = new();
    private Core.Diagnostics.StallMonitor? _stalls;   // null when akkarepl.node.stall-warning is 0

    /// <summary>The admin endpoint's configuration (tests).</summary>
    internal Microsoft.Extensions.Configuration.IConfiguration? AdminConfiguration => _http?.Configuration;

    private readonly NodeStartOptions _start;

    private NodeHost(AkkaReplOptions options, ILoggerFactory loggers, NodeStartOptions? start = null)
    {
        _start = start ?? NodeStartOptions.Default;
        _options = options;
        _loggers = loggers;
        _logger = loggers.CreateLogger("AkkaRepl.Node");
        NodeId = new NodeId(options.Node.NodeId);
        DefaultDurability = Durability.Parse(options.Replication.Durability);
    }

    public NodeId NodeId { get; }
    public int RespPort { get; private set; }
    public int HttpPort { get; private set; }
    public int ReplicationPort { get; private set; }
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;
    public Durability DefaultDurability { get; }
    /// <summary>Whether the configuration names other members (a write above <c>local</c> then waits for them).</summary>
    public bool HasReplicas => _options.Cluster.Members.Count > 1;
    /// <summary>True on the primary holding its lease, once the node is recovered (never while it starts).</summary>
    public bool AcceptsWrites => _recovered && (_coordinator?.AcceptsWrites ?? false);
    public KvStore Store => _store ?? throw new InvalidOperationException("the node is not started");
    public Coordinator Coordinator => _coordinator ?? throw new InvalidOperationException("the node is not started");
    public PrimaryWriter Writer => _writer ?? throw new InvalidOperationException("the node is not started");
    public Applier Applier => _applier ?? throw new InvalidOperationException("the node is not started");
    /// <summary>The local write-ahead log (the change feed reads applied records from it).</summary>
    public WalWriter Wal => _wal ?? throw new InvalidOperationException("the node is not started");
    public IReadOnlyList<MemberOptions> Members => _options.Cluster.Members;
    /// <summary>Digests this node computed at digest markers (verification).</summary>
    internal Verify.DigestRecorder Digests => _digests ?? throw new InvalidOperationException("the node is not started");
    /// <summary>Runs verifications from this node and keeps the last result.</summary>
    internal Verify.VerifyService Verification => _verification ?? throw new InvalidOperationException("the node is not started");
    /// <summary>The commit time of the last applied record (backups).</summary>
    internal Backup.AppliedStamp Stamp => _stamp;
    /// <summary>This node's generation history (backups record it; the change feed checks a subscriber's saved position
    /// against it, as a returning replica's is).</summary>
    public GenerationHistory History => _history ?? throw new InvalidOperationException("the node is not started");
    public ReadOptions ReadOptions => _options.Reads;
    /// <summary>Commit timestamps of the log this node applied (lag in time; freshness of bounded-staleness reads).</summary>
    public CommitTimeline Timeline => _timeline;
    public SecurityOptions Security => _options.Security;

    /// <summary>The node's certificate when any port serves TLS (loaded once, shared by RESP, HTTP and node links).</summary>
    internal AkkaRepl.Core.Security.CertificateReloader? Certificates => _certificates ??=
        _options.Tls.AnyPort ? new AkkaRepl.Core.Security.CertificateReloader(_options.Tls, _logger) : null;
    private AkkaRepl.Core.Security.CertificateReloader? _certificates;

    /// <summary>How node links open: TLS when akkarepl.tls.replication is on, then the cluster secret.</summary>
    private Replication.Security.LinkSecurity LinkSecurity() => new(_options.Replication.ClusterSecret,
        _options.Tls.Replication ? PeerCertificateCheck : null);

    /// <summary>The one check of peers' certificates (CA bundle read once), shared by node links and peer HTTPS calls.</summary>
    private Replication.Security.LinkTls PeerCertificateCheck => _peerCheck ??= new(Certificates!, _options.Tls);
    private Replication.Security.LinkTls? _peerCheck;

    /// <summary>How this node calls its peers' HTTP ports: HTTPS (peer certificates checked like a node link's) when
    /// akkarepl.tls.http is on, with the admin token when status is protected.</summary>
    internal Replication.Security.PeerHttp PeerHttp => _peerHttp ??= new(_options.Tls.Http,
        _options.Tls.Http ? PeerCertificateCheck : null,
        _options.Security.ProtectStatus ? _options.Security.AdminToken : null);
    private Replication.Security.PeerHttp? _peerHttp;

    /// <summary>Whether the HTTP admin endpoint serves HTTPS.</summary>
    public bool HttpsEnabled => _options.Tls.Http;

    private AkkaRepl.Server.Security.TlsStreams? RespTls() =>
        _options.Tls.Resp ? new AkkaRepl.Server.Security.TlsStreams(Certificates) : null;

    /// <summary>Faults when a part of the node failed and the node must stop (the exception says which part and why).</summary>
    public Task Failure => _failed.Task;

    public static Task<NodeHost> StartAsync(AkkaReplOptions options, ILoggerFactory loggers, CancellationToken ct) =>
        StartAsync(options, loggers, NodeStartOptions.Default, ct);

    /// <summary>Starts a node with what an embedding application adds (a state machine of its own).</summary>
    public static async Task<NodeHost> StartAsync(AkkaReplOptions options, ILoggerFactory loggers, NodeStartOptions start, CancellationToken ct)
    {
        var node = new NodeHost(options, loggers, start);
        try
        {
            await node.OpenAsync(ct).ConfigureAwait(false);
            node._opened = true;
            return node;
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task OpenAsync(CancellationToken ct)
    {
        CheckMembership();
        _recovery = new Core.Diagnostics.RecoveryProgress(_time);
        _dataDir = Path.GetFullPath(_options.Node.DataDir);
        _lock = DataDirectoryLock.Acquire(_dataDir);
        DiscardInterruptedRebuild();
        if (_options.Node.StallWarning > TimeSpan.Zero) _stalls = new Core.Diagnostics.StallMonitor(_options.Node.StallWarning, _logger);

        // HTTP first, so an operator (or a load balancer) sees a long recovery as it goes rather than a closed port;
        // until the node is recovered it answers only /status, /health, /metrics and the probes (see RecoveryGate).
        StartMetrics();
        var bind = IPAddress.Parse(_options.Node.BindAddress);
        if (_options.Http.Enabled)
        {
            _http = new AdminHttpServer(this, _loggers);
            await Listen("akkarepl.node.http-port", _options.Node.HttpPort,
                async () => HttpPort = await _http.StartAsync(bind, _options.Node.HttpPort, ct).ConfigureAwait(false)).ConfigureAwait(false);
            _start.HttpListening?.Invoke(HttpPort);
        }
        StartProgressLog();
        if (_start.TestOnlyRecoveryPausePerSegment is { } pause) LogTestOnlyRecoveryPause(_logger, pause.TotalMilliseconds);

        _recovery.Begin(Core.Diagnostics.RecoveryPhase.Wal, 0);
        _wal = await WalWriter.OpenAsync(Path.Combine(_dataDir, "wal"), _options.Wal,
            _loggers.CreateLogger("AkkaRepl.Wal"), _time, ct, new WalScanProgress(_recovery, _start.TestOnlyRecoveryPausePerSegment, _start.TestOnlyAfterSegmentScanned)).ConfigureAwait(false);
        AttachWalMetrics();
        _history = GenerationHistory.Open(Path.Combine(_dataDir, "generations"));
        _history.TrimTo(_wal.WrittenLsn); // entries whose record never reached the log
        _store = new KvStore();
        var state = NewState(_store);
        _archive = _options.Replication.ArchiveDir is { } archiveDir
            ? new Replication.Archive.WalArchive(archiveDir, NodeId, _loggers.CreateLogger<Replication.Archive.WalArchive>()) : null;
        // Only the primary archives: its log is the one replicas follow.
        _checkpointer = new Checkpointer(Path.Combine(_dataDir, "snapshots"), _options.Snapshot, state, _wal, _loggers, RetentionFloor,
            _archive, () => _coordinator?.WritingGeneration is not null);
        _recovery.Begin(Core.Diagnostics.RecoveryPhase.Snapshot, 0);
        var snapshotLsn = _checkpointer.RestoreLatest(
            loading: bytes => _recovery.Begin(Core.Diagnostics.RecoveryPhase.Snapshot, bytes), read: _recovery.Advance);
        // Never start from a snapshot past the log's end: it holds records the log no longer has (a cut divergent
        // suffix, or lost log), and the log would then grow under it with other records at those positions.
        if (snapshotLsn > _wal.FlushedLsn)
            throw new StorageCorruptException(
                $"the newest valid snapshot, at LSN {snapshotLsn}, is past the end of the WAL (LSN {_wal.FlushedLsn}): it holds records the log does not have, so this node does not start from it; " +
                $"move it out of {Path.Combine(_dataDir, "snapshots")} to start from an older one, or rebuild this node");
        if (snapshotLsn > Lsn.Zero && snapshotLsn < _wal.FirstLsn)
            throw new StorageCorruptException(
                $"snapshot at LSN {snapshotLsn} does not fit the WAL (retained {_wal.FirstLsn}..{_wal.FlushedLsn}); the data directory {_dataDir} is inconsistent");

        _digests = new Verify.DigestRecorder(() => _applier!.State, () => _applier!.AppliedLsn);
        _applier = new Applier(_wal, state, _loggers.CreateLogger("AkkaRepl.Applier"), [_checkpointer, _timeline, new ApplyProgress(this), _digests, _stamp],
            _options.Replication.ApplyDelay, _time, () => _coordinator?.WritingGeneration);
        _applier.Start();
        await ReplayAsync(ct).ConfigureAwait(false);
        WatchForFailure(_applier.Completion, "applier");

        _recovery.Begin(Core.Diagnostics.RecoveryPhase.Starting, 0);
        _replicationListener = new TcpListener(bind, _options.Node.ReplicationPort);
        await Listen("akkarepl.node.replication-port", _options.Node.ReplicationPort, () =>
        {
            _replicationListener.Start();
            return Task.CompletedTask;
        }).ConfigureAwait(false);
        ReplicationPort = ((IPEndPoint)_replicationListener.LocalEndpoint).Port;

        _coordinator = new Coordinator(new CoordinatorContext(NodeId, _options.Node, _options.Cluster, _options.Replication,
            _wal, _applier, _history, new NodeStateStore(_dataDir), _replicationListener, _time, OnDivergedAsync,
            () => _applier!.State.CaptureImage(), RebuildFromAsync, Path.Combine(_dataDir, "scratch"), _archive, _options.Election, _dataDir, LinkSecurity(), PeerHttp), _loggers);
        _coordinator.RoleChanged += OnRoleChangedForMetrics;
        await _coordinator.StartAsync(ct).ConfigureAwait(false);
        WatchForFailure(_coordinator.Failure, "elections");
        _writer = new PrimaryWriter(_wal, _applier, _coordinator, DefaultDurability);
        // Recovered: the log is replayed and the role chosen. From here /status shows the role and RESP may serve.
        _recovered = true;
        StopProgressLog();

        _resp = new RespServer(new KvBackend(this), _options.Resp, _loggers.CreateLogger<RespServer>(),
            new AkkaRepl.Server.Security.RespAuthenticator(_options.Security, _time), RespTls());
        var respBind = AkkaRepl.Server.Security.RespExposure.Choose(bind, _options.Security, _logger);
        await Listen("akkarepl.node.resp-port", _options.Node.RespPort,
            () => _resp.StartAsync(new IPEndPoint(respBind, _options.Node.RespPort), ct)).ConfigureAwait(false);
        RespPort = _resp.BoundPort;
        _verification = new Verify.VerifyService(this, _options, _loggers.CreateLogger("AkkaRepl.Verify"));
        _verification.Start();
        LogStarted(_logger, NodeId.Value, _coordinator.Role.ToString().ToLowerInvariant(), _coordinator.Generation.Value,
            _applier.AppliedLsn.Value, RespPort, HttpPort, ReplicationPort);
    }

    /// <summary>Members, when configured, must include this node, and the default durability must be reachable with them.</summary>
    private void CheckMembership()
    {
        var members = _options.Cluster.Members;
        if (members.Count > 0 && members.All(m => m.Id != NodeId.Value))
            throw new ConfigException($"akkarepl.node.node-id '{NodeId}' is not among akkarepl.cluster.members ({string.Join(", ", members.Select(m => m.Id))})");
        var replicas = Math.Max(0, members.Count - 1);
        if (DefaultDurability.Kind is DurabilityKind.Replicas or DurabilityKind.Applied && DefaultDurability.Count > replicas)
            throw new ConfigException($"akkarepl.replication.durability = \"{DefaultDurability}\" can never be met: the cluster has {replicas} replica(s)");
        var majority = Math.Max(1, members.Count) / 2 + 1;
        if (DefaultDurability.Kind == DurabilityKind.Replicas && DefaultDurability.Count + 1 < majority)
            LogWeakDurability(_logger, DefaultDurability.ToString(), majority);
    }

    /// <summary>Applies the log after the snapshot up to the flushed LSN; its progress is the applier's position,
    /// read on demand by the start-up progress (logged every few seconds, shown on /status).</summary>
    private async Task ReplayAsync(CancellationToken ct)
    {
        var target = _wal!.FlushedLsn;
        var start = _applier!.AppliedLsn;
        var applier = _applier;
        _recovery!.Begin(Core.Diagnostics.RecoveryPhase.Replay, target > start ? (long)(target - start) : 0,
            () => (long)(applier.AppliedLsn.Value - Math.Min(applier.AppliedLsn.Value, start.Value)));
        if (target <= start) return;
        LogReplayStarting(_logger, start.Value, target.Value, target - start);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var replay = _applier.WaitForAppliedAsync(target, ct);
        // A failed applier ends the wait with its error rather than leaving start-up waiting for good.
        if (await Task.WhenAny(replay, _applier.Completion).ConfigureAwait(false) != replay) await _applier.Completion.ConfigureAwait(false);
        await replay.ConfigureAwait(false);
        LogReplayDone(_logger, target - start, watch.Elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// The log's suffix after <paramref name="cut"/> diverged from the upstream's. With the applier stopped, the
    /// suffix is cut from the WAL and saved to a rollback file (G3: nothing is discarded silently); if any of it was
    /// applied, the state is rebuilt as of the cut from the newest snapshot before it plus the log.
    /// </summary>
    private async Task OnDivergedAsync(Lsn cut, CancellationToken ct)
    {
        await _applier!.StopAsync().ConfigureAwait(false);
        // The removed records are saved before the cut: a crash half way through the cut can then only leave
        // them in both places (the next handshake cuts again), never in neither.
        var saved = _wal!.FlushedLsn;
        var removed = _wal.ReadRange(cut, saved);
        SaveRollback(removed);
        // Snapshots past the cut go (durably) before the cut does: a crash between the two then leaves the suffix
        // in the log with older snapshots (the next handshake cuts again), never a snapshot past the log's end.
        _checkpointer!.DiscardAfter(cut);
        // The cut comes after every append still queued in the WAL (a primary that just stepped down may have writes in
        // flight, never acknowledged): it removes those too, and they are saved as well, in a file that follows on.
        SaveRollback((await _wal.TruncateAfterAsync(cut, ct).ConfigureAwait(false)).Where(r => r.Lsn >= saved).ToList());
        _history!.TrimTo(cut);
        var state = _applier.State;
        if (_applier.AppliedLsn > cut)
        {
            var kv = new KvStore();
            state = NewState(kv);
            var restored = _checkpointer!.ResetTo(cut, state);
            if (restored < _wal.FirstLsn)
                throw new StorageCorruptException($"after cutting the log back to {cut}, no snapshot at or before it remains and the log starts at {_wal.FirstLsn}: this node needs a rebuild");
            _store = kv;
            LogStateRebuilt(_logger, cut.Value, restored.Value);
        }
        await _applier.RestartAsync(state).ConfigureAwait(false);
    }

    /// <summary>The state machine the log is applied to, around <paramref name="kv"/> (see <see cref="NodeStartOptions.StateMachineFactory"/>).</summary>
    private Storage.StateMachine.IStateMachine NewState(KvStore kv) => _start.StateMachineFactory?.Invoke(kv) ?? kv;

    private string RebuildMarker => Path.Combine(_dataDir, "REBUILDING");

    /// <summary>
    /// Replaces this replica's state and log with a snapshot received from its upstream, taken at
    /// <c>begin.SnapshotLsn</c>. The snapshot is written once, into the snapshot directory, and restored into a
    /// fresh state while it arrives (<see cref="Replication.Replica.IncomingSnapshot"/>); the live state and log go
    /// on untouched until all of it was checked. A marker file guards the change from there: if the node dies part
    /// way, the next start discards the half-built state (<see cref="DiscardInterruptedRebuild"/>) and the upstream
    /// rebuilds it again. A transfer cut before that leaves only a temp file, deleted at the next start.
    /// </summary>
    private async Task RebuildFromAsync(Replication.Replica.IncomingSnapshot incoming, CancellationToken ct)
    {
        var begin = incoming.Begin;
        var freshKv = new KvStore();
        var fresh = NewState(freshKv);
        using var received = _checkpointer!.BeginInstall(begin.SnapshotLsn);
        await incoming.ReceiveAsync(received, fresh, ct).ConfigureAwait(false); // checked whole, file flushed
        SaveSuffixDivergedFrom(begin);

        await File.WriteAllTextAsync(RebuildMarker, $"rebuild from a snapshot at LSN {begin.SnapshotLsn} started {_time.GetUtcNow():O}\n", ct).ConfigureAwait(false);
        DirectorySync.Sync(_dataDir);
        await _applier!.StopAsync().ConfigureAwait(false);
        _checkpointer.Adopt(fresh, received);
        _history!.ReplaceAll(begin.History);
        var previous = begin.History.LastOrDefault(e => e.Lsn < begin.SnapshotLsn).Generation;
        await _wal!.ResetAsync(begin.SnapshotLsn, previous, ct).ConfigureAwait(false);
        _store = freshKv;
        await _applier.RestartAsync(fresh).ConfigureAwait(false);
        File.Delete(RebuildMarker);
        DirectorySync.Sync(_dataDir);
    }

    /// <summary>
    /// A rebuild drops the whole log, and with it any suffix that diverged from the upstream's (a deposed primary's
    /// writes that no replica received): that suffix is saved to a rollback file first, as a cut would save it (G3).
    /// The upstream's history reaches only to the snapshot, so its last generation there counts as going on past it.
    /// </summary>
    private void SaveSuffixDivergedFrom(Replication.Protocol.SnapshotBeginFrame begin)
    {
        var end = _wal!.FlushedLsn;
        var common = _history!.CommonPoint(end, begin.History, new Lsn(ulong.MaxValue));
        var from = Lsn.Max(common, _wal.FirstLsn);
        if (from < end) SaveRollback(_wal.ReadRange(from, end));
    }

    /// <summary>Saves records removed from the log (a contiguous run) to a rollback file of their own, and says so.</summary>
    private void SaveRollback(IReadOnlyList<WalRecord> removed)
    {
        if (removed.Count == 0) return;
        var from = removed[0].Lsn;
        var file = RollbackFile.Write(Path.Combine(_dataDir, "rollback"), from, Coordinator.Generation, removed, _time.GetUtcNow());
        LogRolledBack(_logger, removed.Count, from.Value, file);
    }

    /// <summary>A rebuild that did not finish left state that cannot be trusted: start this replica empty instead.</summary>
    private void DiscardInterruptedRebuild()
    {
        if (!File.Exists(RebuildMarker)) return;
        LogRebuildDiscarded(_logger, RebuildMarker);
        foreach (var part in new[] { "wal", "snapshots", "scratch" })
        {
            var dir = Path.Combine(_dataDir, part);
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        File.Delete(Path.Combine(_dataDir, "generations"));
        File.Delete(RebuildMarker);
        DirectorySync.Sync(_dataDir);
    }

    /// <summary>The log a replica still needs is kept, up to the configured cap behind the newest record; a replica
    /// further behind is given up on (it will be rebuilt from a snapshot), with a warning naming it.</summary>
    /// <summary>Log positions that backups in progress still need (retention keeps them).</summary>
    internal Backup.BackupHolds BackupHolds => _backupHolds ??= new Backup.BackupHolds(_time);
    private Backup.BackupHolds? _backupHolds;

    private Lsn RetentionFloor()
    {
        var floor = ReplicasFloor();
        return BackupHolds.Floor() is { } held ? Lsn.Min(floor, held) : floor;
    }

    private Lsn ReplicasFloor()
    {
        var written = _wal!.WrittenLsn;
        var capBytes = (ulong)_options.Replication.RetainedLogMaxBytes;
        var cap = new Lsn(written.Value > capBytes ? written.Value - capBytes : 0);
        var gate = _coordinator?.Gate;
        if (gate is null || _options.Cluster.Members.Count <= 1) return written;
        var floor = written;
        foreach (var (replica, position) in gate.Replicas)
        {
            if (position.Flush < cap && position.Flush > Lsn.Zero && _givenUp.Add(replica.Value))
                LogReplicaFellOff(_logger, replica.Value, written - position.Flush, _options.Replication.RetainedLogMaxBytes);
            if (position.Flush >= cap) _givenUp.Remove(replica.Value);
            floor = Lsn.Min(floor, position.Flush);
        }
        return Lsn.Max(floor, cap);
    }

    private readonly HashSet<string> _givenUp = []; // replicas past the retention cap; touched only by the checkpointer's writer

    private static async Task Listen(string key, int port, Func<Task> start)
    {
        try { await start().ConfigureAwait(false); }
        catch (Exception ex) when (ex is SocketException or IOException || ex.InnerException is SocketException)
        {
            throw new AkkaReplException($"cannot listen on port {port} ({key}): {ex.Message}");
        }
    }

    private void WatchForFailure(Task completion, string part) =>
        completion.ContinueWith(t =>
        {
            if (t.IsFaulted) _failed.TrySetException(t.Exception!.InnerException is ComponentFailedException c
                ? c : new ComponentFailedException(part, t.Exception!.InnerException!));
        }, TaskScheduler.Default);

    /// <summary>Tells the replica's receiver when the applier moved, so apply positions (for <c>applied K</c>
    /// durability and read-your-writes) reach the upstream at once rather than at the next heartbeat.</summary>
    private sealed class ApplyProgress(NodeHost node) : IApplyObserver
    {
        public void OnApplied(in WalRecord record) => node._coordinator?.Receiver?.NotifyProgress();
    }

    /// <summary>This node's <c>/status</c>. While it starts: role <c>recovering</c> with a <c>recovery</c> object
    /// (the coordinator is not asked until the node is recovered: its role is not chosen yet).</summary>
    public NodeStatus GetStatus()
    {
        var recovery = Recovery;
        return NodeStatusBuilder.Build(this, _options, _wal, _applier, _checkpointer, recovery is null ? _coordinator : null, _timeline,
            _resp?.ConnectionCount ?? 0) with
            {
                Verify = _verification?.Status,
                Recovery = recovery is { } r ? RecoveryStatus.From(r) : null,
                Stalls = _stalls is { } stalls ? StallStatus.From(stalls) : null,
            };
    }

    public string GetInfo(string? section) => RedisInfo.Build(this, GetStatus(), section);

    /// <summary>Stops serving, lets in-flight writes finish, syncs the WAL and closes everything.</summary>
    public async ValueTask DisposeAsync()
    {
        // A node that failed to start closes what it opened without saying "stopping": its caller reports why it failed.
        if (_opened) LogStopping(_logger, NodeId.Value);
        _stalls?.Dispose(); // first: stopping blocks pool threads on purpose (joins, final syncs), which is no stall to warn of
        StopProgressLog();
        if (_verification is not null) await Safe("verification", async () => await _verification.DisposeAsync().ConfigureAwait(false)).ConfigureAwait(false);
        if (_http is not null) await Safe("http", _http.StopAsync).ConfigureAwait(false);
        if (_resp is not null) await Safe("resp", _resp.StopAsync).ConfigureAwait(false);
        if (_coordinator is not null) await Safe("coordinator", async () => await _coordinator.DisposeAsync().ConfigureAwait(false)).ConfigureAwait(false);
        _replicationListener?.Stop();
        // Writes accepted before the listeners closed are in the WAL queue: let the applier catch up with them.
        if (_applier is not null && _wal is not null && !_applier.Completion.IsFaulted)
            await Safe("applier catch-up", () => _applier.WaitForAppliedAsync(_wal.FlushedLsn).WaitAsync(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
        if (_applier is not null) await Safe("applier", async () => await _applier.DisposeAsync().ConfigureAwait(false)).ConfigureAwait(false);
        if (_checkpointer is not null) await Safe("checkpointer", _checkpointer.StopAsync).ConfigureAwait(false);
        if (_wal is not null) await Safe("wal", _wal.StopAsync).ConfigureAwait(false);
        StopMetrics();
        _lock?.Dispose();
    }

    private async Task Safe(string part, Func<Task> stop)
    {
        try { await stop().ConfigureAwait(false); }
        catch (Exception ex) { LogStopFailed(_logger, part, ex.Message); }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} started as {Role} in generation {Generation} at applied LSN {Lsn}; resp={Resp} http={Http} repl={Repl}")]
    private static partial void LogStarted(ILogger logger, string nodeId, string role, ulong generation, ulong lsn, int resp, int http, int repl);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Default durability '{Durability}' does not reach a majority ({Majority} nodes): acknowledged writes can be lost in a failover (G1 holds only for quorum and all)")]
    private static partial void LogWeakDurability(ILogger logger, string durability, int majority);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replaying the WAL from LSN {From} to {To} ({Bytes} bytes)")]
    private static partial void LogReplayStarting(ILogger logger, ulong from, ulong to, ulong bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replayed {Bytes} bytes of WAL in {Ms:F0} ms")]
    private static partial void LogReplayDone(ILogger logger, ulong bytes, double ms);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cut {Count} divergent records after LSN {Lsn}; they are saved in {File} (read it with: akkarepl rollback show FILE)")]
    private static partial void LogRolledBack(ILogger logger, int count, ulong lsn, string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "State rebuilt as of LSN {Lsn} from the snapshot at {Snapshot} and the log")]
    private static partial void LogStateRebuilt(ILogger logger, ulong lsn, ulong snapshot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A rebuild was interrupted ({Marker} exists): discarding the half-built state; this replica starts empty and is rebuilt again")]
    private static partial void LogRebuildDiscarded(ILogger logger, string marker);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {Replica} is {Behind} bytes behind, past akkarepl.replication.retained-log-max ({Cap} bytes): the log it needs is no longer kept, and it will be rebuilt from a snapshot when it reconnects")]
    private static partial void LogReplicaFellOff(ILogger logger, string replica, ulong behind, long cap);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} stopping")]
    private static partial void LogStopping(ILogger logger, string nodeId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stopping {Part} failed: {Error}")]
    private static partial void LogStopFailed(ILogger logger, string part, string error);
}
