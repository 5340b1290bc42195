using System.Net;
using System.Text;
using AkkaRepl.Core.Components;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Apply;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Server.Http;
using AkkaRepl.Server.Resp;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Wal;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Server.Node;

/// <summary>
/// The composition root of one node: opens the data directory, recovers the WAL, restores the newest valid
/// snapshot and replays the log after it, then serves RESP and HTTP. Start-up is all or nothing: if any
/// step fails, everything opened so far is closed again and the error names what failed.
/// </summary>
public sealed partial class NodeHost : IAsyncDisposable
{
    private readonly AkkaReplOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<IAsyncDisposable> _opened = [];
    private DataDirectoryLock? _lock;
    private WalWriter? _wal;
    private KvStore? _store;
    private Applier? _applier;
    private Checkpointer? _checkpointer;
    private RespServer? _resp;
    private AdminHttpServer? _http;
    private System.Net.Sockets.TcpListener? _replicationListener;
    private Generation _generation;

    private NodeHost(AkkaReplOptions options, ILoggerFactory loggers)
    {
        _options = options;
        _loggers = loggers;
        _logger = loggers.CreateLogger("AkkaRepl.Node");
        NodeId = new NodeId(options.Node.NodeId);
    }

    public NodeId NodeId { get; }
    public int RespPort { get; private set; }
    public int HttpPort { get; private set; }
    public int ReplicationPort { get; private set; }
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;
    public bool AcceptsWrites => true;

    /// <summary>Faults when a part of the node failed and the node must stop (the exception says which part and why).</summary>
    public Task Failure => _failed.Task;

    public static async Task<NodeHost> StartAsync(AkkaReplOptions options, ILoggerFactory loggers, CancellationToken ct)
    {
        var node = new NodeHost(options, loggers);
        try
        {
            await node.OpenAsync(ct).ConfigureAwait(false);
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
        var dataDir = Path.GetFullPath(_options.Node.DataDir);
        _lock = DataDirectoryLock.Acquire(dataDir);

        _wal = await WalWriter.OpenAsync(Path.Combine(dataDir, "wal"), _options.Wal,
            _loggers.CreateLogger("AkkaRepl.Wal"), TimeProvider.System, ct).ConfigureAwait(false);
        _store = new KvStore();
        _checkpointer = new Checkpointer(Path.Combine(dataDir, "snapshots"), _options.Snapshot, _store, _wal, _loggers);
        var snapshotLsn = _checkpointer.RestoreLatest();
        if (snapshotLsn > _wal.FlushedLsn || (snapshotLsn > Lsn.Zero && snapshotLsn < _wal.FirstLsn))
            throw new StorageCorruptException(
                $"snapshot at LSN {snapshotLsn} does not fit the WAL (retained {_wal.FirstLsn}..{_wal.FlushedLsn}); the data directory {dataDir} is inconsistent");

        if (_wal.LastGeneration == Generation.None)
            await _wal.AppendAsync(Generation.First, WalRecordKind.GenerationStart, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
        _generation = _wal.LastGeneration;

        _applier = new Applier(_wal, _store, _loggers.CreateLogger("AkkaRepl.Applier"), [_checkpointer]);
        _applier.Start();
        await ReplayAsync(ct).ConfigureAwait(false);
        _applier.RetainResults = true;
        WatchForFailure(_applier.Completion, "applier");
        WatchForFailure(_checkpointer.Completion, "checkpointer");

        var writer = new PrimaryWriter(_wal, _applier, () => _generation, () => AcceptsWrites);
        var bind = IPAddress.Parse(_options.Node.BindAddress);
        _resp = new RespServer(new KvBackend(this, _store, writer), _options.Resp, _loggers.CreateLogger<RespServer>());
        await Listen("akkarepl.node.resp-port", _options.Node.RespPort,
            () => _resp.StartAsync(new IPEndPoint(bind, _options.Node.RespPort), ct)).ConfigureAwait(false);
        RespPort = _resp.BoundPort;

        // Replication arrives with the replication issue; the port is reserved now so the READY line and the
        // configs that name it stay the same.
        _replicationListener = new System.Net.Sockets.TcpListener(bind, _options.Node.ReplicationPort);
        await Listen("akkarepl.node.replication-port", _options.Node.ReplicationPort, () =>
        {
            _replicationListener.Start();
            return Task.CompletedTask;
        }).ConfigureAwait(false);
        ReplicationPort = ((IPEndPoint)_replicationListener.LocalEndpoint).Port;

        if (_options.Http.Enabled)
        {
            _http = new AdminHttpServer(this, _loggers);
            await Listen("akkarepl.node.http-port", _options.Node.HttpPort,
                async () => HttpPort = await _http.StartAsync(bind, _options.Node.HttpPort, ct).ConfigureAwait(false)).ConfigureAwait(false);
        }
        LogStarted(_logger, NodeId.Value, _generation.Value, _applier.AppliedLsn.Value, RespPort, HttpPort, ReplicationPort);
    }

    private async Task ReplayAsync(CancellationToken ct)
    {
        var target = _wal!.FlushedLsn;
        var start = _applier!.AppliedLsn;
        if (target <= start) return;
        LogReplayStarting(_logger, start.Value, target.Value, target - start);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var replay = _applier.WaitForAppliedAsync(target, ct);
        while (await Task.WhenAny(replay, Task.Delay(TimeSpan.FromSeconds(2), ct)).ConfigureAwait(false) != replay)
        {
            var done = _applier.AppliedLsn - start;
            var total = target - start;
            var rate = done / Math.Max(watch.Elapsed.TotalSeconds, 0.001);
            LogReplayProgress(_logger, 100.0 * done / total, rate / (1024 * 1024),
                rate > 0 ? TimeSpan.FromSeconds((total - done) / rate) : TimeSpan.Zero);
            if (_applier.Completion.IsFaulted) await _applier.Completion.ConfigureAwait(false);
        }
        await replay.ConfigureAwait(false);
        LogReplayDone(_logger, target - start, watch.Elapsed.TotalMilliseconds);
    }

    private static async Task Listen(string key, int port, Func<Task> start)
    {
        try { await start().ConfigureAwait(false); }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException
            || ex.InnerException is System.Net.Sockets.SocketException)
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

    public NodeStatus GetStatus() => new(
        NodeId.Value,
        _options.Node.ClusterId,
        "primary",
        _generation.Value,
        _wal?.FirstLsn.Value ?? 0,
        _wal?.WrittenLsn.Value ?? 0,
        _wal?.FlushedLsn.Value ?? 0,
        _applier?.AppliedLsn.Value ?? 0,
        _checkpointer?.LastSnapshotLsn.Value ?? 0,
        _resp?.ConnectionCount ?? 0,
        StartedAt);

    /// <summary>INFO text of the sections the node owns, in Redis's "field:value" form.</summary>
    public string GetInfo(string? section)
    {
        var s = GetStatus();
        var all = string.IsNullOrEmpty(section) || section.Equals("all", StringComparison.OrdinalIgnoreCase)
            || section.Equals("everything", StringComparison.OrdinalIgnoreCase) || section.Equals("default", StringComparison.OrdinalIgnoreCase);
        var sb = new StringBuilder();
        if (all || section!.Equals("server", StringComparison.OrdinalIgnoreCase))
        {
            sb.Append("# Server\r\n");
            sb.Append("redis_version:7.2.0\r\n");
            sb.Append("akkarepl_version:").Append(typeof(NodeHost).Assembly.GetName().Version).Append("\r\n");
            sb.Append("redis_mode:standalone\r\n");
            sb.Append("process_id:").Append(Environment.ProcessId).Append("\r\n");
            sb.Append("tcp_port:").Append(RespPort).Append("\r\n");
            sb.Append("uptime_in_seconds:").Append((long)(DateTimeOffset.UtcNow - StartedAt).TotalSeconds).Append("\r\n");
            sb.Append("node_id:").Append(s.NodeId).Append("\r\n\r\n");
        }
        if (all || section!.Equals("persistence", StringComparison.OrdinalIgnoreCase))
        {
            sb.Append("# Persistence\r\n");
            sb.Append("loading:0\r\n");
            sb.Append("aof_enabled:1\r\n");
            sb.Append("wal_written_lsn:").Append(s.WrittenLsn).Append("\r\n");
            sb.Append("wal_flushed_lsn:").Append(s.FlushedLsn).Append("\r\n");
            sb.Append("wal_first_lsn:").Append(s.FirstLsn).Append("\r\n");
            sb.Append("snapshot_lsn:").Append(s.SnapshotLsn).Append("\r\n\r\n");
        }
        if (all || section!.Equals("replication", StringComparison.OrdinalIgnoreCase))
        {
            sb.Append("# Replication\r\n");
            sb.Append("role:master\r\n");
            sb.Append("connected_slaves:0\r\n");
            sb.Append("master_repl_offset:").Append(s.FlushedLsn).Append("\r\n");
            sb.Append("generation:").Append(s.Generation).Append("\r\n");
            sb.Append("applied_lsn:").Append(s.AppliedLsn).Append("\r\n\r\n");
        }
        return sb.ToString();
    }

    /// <summary>Stops serving, lets in-flight writes finish, syncs the WAL and closes everything.</summary>
    public async ValueTask DisposeAsync()
    {
        LogStopping(_logger, NodeId.Value);
        if (_http is not null) await Safe("http", _http.StopAsync).ConfigureAwait(false);
        if (_resp is not null) await Safe("resp", _resp.StopAsync).ConfigureAwait(false);
        _replicationListener?.Stop();
        // Writes accepted before the listeners closed are in the WAL queue: let the applier catch up with them.
        if (_applier is not null && _wal is not null && !_applier.Completion.IsFaulted)
        {
            await Safe("applier catch-up", () => _applier.WaitForAppliedAsync(_wal.FlushedLsn)
                .WaitAsync(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
        }
        if (_applier is not null) await Safe("applier", _applier.StopAsync).ConfigureAwait(false);
        if (_checkpointer is not null) await Safe("checkpointer", _checkpointer.StopAsync).ConfigureAwait(false);
        if (_wal is not null) await Safe("wal", _wal.StopAsync).ConfigureAwait(false);
        _lock?.Dispose();
    }

    private async Task Safe(string part, Func<Task> stop)
    {
        try { await stop().ConfigureAwait(false); }
        catch (Exception ex) { LogStopFailed(_logger, part, ex.Message); }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} started as primary of generation {Generation} at applied LSN {Lsn}; resp={Resp} http={Http} repl={Repl}")]
    private static partial void LogStarted(ILogger logger, string nodeId, ulong generation, ulong lsn, int resp, int http, int repl);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replaying the WAL from LSN {From} to {To} ({Bytes} bytes)")]
    private static partial void LogReplayStarting(ILogger logger, ulong from, ulong to, ulong bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replay {Percent:F1}% at {MiBps:F1} MiB/s, about {Remaining} left")]
    private static partial void LogReplayProgress(ILogger logger, double percent, double mibps, TimeSpan remaining);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replayed {Bytes} bytes of WAL in {Ms:F0} ms")]
    private static partial void LogReplayDone(ILogger logger, ulong bytes, double ms);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} stopping")]
    private static partial void LogStopping(ILogger logger, string nodeId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stopping {Part} failed: {Error}")]
    private static partial void LogStopFailed(ILogger logger, string part, string error);
}
