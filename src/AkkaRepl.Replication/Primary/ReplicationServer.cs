using System.Collections.Concurrent;
using System.Net.Sockets;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Transport;
using AkkaRepl.Wal;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Replication.Primary;

/// <summary>
/// Accepts replica connections on the replication port, checks the handshake (protocol version, cluster id,
/// membership, generation), finds the common point of the two logs from the generation histories, and runs one
/// <see cref="ReplicaSession"/> per replica (a reconnect replaces the old session). Runs on the primary, and on a
/// replica that serves cascaded replicas.
/// </summary>
public sealed partial class ReplicationServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly ReplicationServerContext _context;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<NodeId, (ReplicaSession Session, CancellationTokenSource Stop, Task Run)> _sessions = new();
    private Task? _accept;

    public ReplicationServer(TcpListener listener, ReplicationServerContext context, ILogger logger)
    {
        _listener = listener;
        _context = context;
        _logger = logger;
    }

    /// <summary>The sessions now connected.</summary>
    public IReadOnlyList<ReplicaSession> Sessions => _sessions.Values.Select(s => s.Session).ToList();

    public void Start() => _accept = Task.Run(AcceptLoopAsync);

    /// <summary>Ends every session (e.g. when this node steps down); replicas reconnect where they should.</summary>
    public void DropAll()
    {
        foreach (var s in _sessions.Values) s.Stop.Cancel();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        DropAll();
        if (_accept is not null) await _accept.ConfigureAwait(false);
        await Task.WhenAll(_sessions.Values.Select(s => s.Run)).ConfigureAwait(false);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false); }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            _ = Task.Run(() => HandleAsync(socket));
        }
    }

    private async Task HandleAsync(Socket socket)
    {
        var link = new FrameConnection(socket, (int)_context.Options.MaxFrameBytes);
        try
        {
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            handshake.CancelAfter(TimeSpan.FromSeconds(10));
            if (await link.ReceiveAsync(handshake.Token).ConfigureAwait(false) is not HelloFrame hello)
                throw new ProtocolException("the first frame of a replication link must be Hello");
            var refusal = Check(hello);
            if (refusal is not null)
            {
                LogRefused(_logger, hello.NodeId.Value, link.RemoteEndPoint, refusal.Message);
                await link.SendAsync(refusal, handshake.Token).ConfigureAwait(false);
                return;
            }

            var generation = _context.Generation();
            var wal = _context.Wal;
            var start = _context.History.CommonPoint(wal.WrittenLsn, hello.History, hello.FlushedLsn);
            var mode = start < wal.FirstLsn ? CatchUpMode.Rebuild : CatchUpMode.Stream;
            await link.SendAsync(new WelcomeFrame(FrameCodec.ProtocolVersion, _context.ClusterId, _context.Self, generation, start, mode),
                handshake.Token).ConfigureAwait(false);
            if (mode == CatchUpMode.Rebuild)
            {
                LogNeedsRebuild(_logger, hello.NodeId.Value, start.Value, wal.FirstLsn.Value);
                _context.ReplicaNeedsRebuild(hello.NodeId);
                return;
            }
            LogAccepted(_logger, hello.NodeId.Value, link.RemoteEndPoint, generation.Value, hello.FlushedLsn.Value, start.Value);

            var session = new ReplicaSession(hello.NodeId, generation, link, wal, start, _context.Options, _context.CommitLsn,
                _context.ReplicaAcked, _context.Time, _logger);
            var stop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var run = session.RunAsync(stop.Token);
            if (_sessions.TryRemove(hello.NodeId, out var old)) old.Stop.Cancel();
            _sessions[hello.NodeId] = (session, stop, run);
            _context.ReplicaConnected(session);
            await run.ConfigureAwait(false);
            _sessions.TryRemove(new KeyValuePair<NodeId, (ReplicaSession, CancellationTokenSource, Task)>(hello.NodeId, (session, stop, run)));
            stop.Dispose();
            _context.ReplicaDisconnected(session);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ProtocolException or SocketException or ObjectDisposedException)
        {
            if (!_stop.IsCancellationRequested) LogHandshakeFailed(_logger, link.RemoteEndPoint, ex.Message);
        }
        finally
        {
            await link.DisposeAsync().ConfigureAwait(false);
        }
    }

    private RefuseFrame? Check(HelloFrame hello)
    {
        if (hello.ProtocolVersion != FrameCodec.ProtocolVersion)
            return new RefuseFrame(RefuseReason.ProtocolVersion,
                $"protocol version {hello.ProtocolVersion} is not supported: node {_context.Self} speaks {FrameCodec.ProtocolVersion}");
        if (hello.ClusterId != _context.ClusterId)
            return new RefuseFrame(RefuseReason.ClusterId,
                $"cluster id '{hello.ClusterId}' does not match node {_context.Self}'s cluster id '{_context.ClusterId}'");
        if (!_context.IsMember(hello.NodeId) || hello.NodeId == _context.Self)
            return new RefuseFrame(RefuseReason.NotMember, $"node '{hello.NodeId}' is not a member of cluster '{_context.ClusterId}'");
        var generation = _context.Generation();
        if (hello.HighestGeneration > generation)
        {
            _context.HigherGenerationSeen(hello.HighestGeneration, hello.NodeId);
            return new RefuseFrame(RefuseReason.StaleGeneration,
                $"node {_context.Self} is in generation {generation}, below the {hello.HighestGeneration} that {hello.NodeId} has seen");
        }
        if (!_context.ServesReplicas())
            return new RefuseFrame(RefuseReason.NotUpstream, $"node {_context.Self} does not serve replicas right now");
        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {Replica} connected from {Remote} (generation {Generation}); it has log to {Flushed}, streaming from {Start}")]
    private static partial void LogAccepted(ILogger logger, string replica, string remote, ulong generation, ulong flushed, ulong start);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused replication link from {Replica} at {Remote}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string replica, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {Replica} needs a rebuild: it needs the log from {Start}, but the log is retained only from {First}")]
    private static partial void LogNeedsRebuild(ILogger logger, string replica, ulong start, ulong first);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replication handshake with {Remote} failed: {Reason}")]
    private static partial void LogHandshakeFailed(ILogger logger, string remote, string reason);
}
