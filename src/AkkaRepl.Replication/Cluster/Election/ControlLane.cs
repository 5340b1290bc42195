using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Security;
using AkkaRepl.Replication.Transport;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Replication.Cluster.Election;

/// <summary>
/// The control lane: one small outgoing TCP connection per peer, to the peer's replication port, that carries
/// only <see cref="ControlFrame"/>s (heartbeats and election messages). It is apart from the log stream, so a
/// megabyte of WAL in flight never delays a heartbeat or a vote; and it goes where the replication link goes
/// (the same port), so a network cut between two nodes cuts both alike. It opens like a replication link (TLS when
/// on, then the cluster-secret exchange: <see cref="LinkSecurity"/>), so a process that is not a member cannot vote
/// or send a heartbeat: the accepting side refuses it before its first frame. Every connection then starts with a
/// <see cref="ControlHello"/> naming the sender's cluster and protocol version, and the accepting side closes one of
/// another cluster or version (with a warning that says which). Messages are one-way: a reply travels on the
/// replier's own outgoing connection.
/// <para>Each peer has a bounded queue of 64 messages. When a peer is unreachable the queue fills, and the oldest
/// message is dropped: every control message is either repeated each heartbeat or re-sent by the next election
/// round, and a stale one is worthless. Drops are counted in <see cref="Dropped"/>.</para>
/// </summary>
public sealed partial class ControlLane : IAsyncDisposable
{
    private const int QueueLength = 64;
    private readonly Dictionary<string, Channel<ControlMessage>> _queues = new();
    private readonly List<Task> _senders = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Action<ControlMessage> _received;
    private readonly int _maxFrameBytes;
    private readonly ILogger _logger;
    private readonly LinkSecurity _security;
    private readonly string _clusterId;
    private readonly byte[] _hello;
    private long _dropped;

    /// <param name="self">This node's id, and <paramref name="clusterId"/> its cluster's: sent first on every connection.</param>
    /// <param name="peers">Each peer's id and where its replication port is reached.</param>
    /// <param name="received">Called for every message that arrives, on the connection's reader loop.</param>
    /// <param name="security">How each connection opens (TLS, the cluster secret); null: plain and unauthenticated.</param>
    public ControlLane(string self, string clusterId, IReadOnlyDictionary<string, EndPoint> peers, Action<ControlMessage> received,
        int maxFrameBytes, ILogger logger, LinkSecurity? security = null)
    {
        _clusterId = clusterId;
        _hello = ControlMessageCodec.Encode(new ControlHello(self, FrameCodec.ProtocolVersion, clusterId));
        _security = security ?? new LinkSecurity(null, null);
        _received = received;
        _maxFrameBytes = maxFrameBytes;
        _logger = logger;
        foreach (var (id, endpoint) in peers)
        {
            var queue = Channel.CreateBounded<ControlMessage>(new BoundedChannelOptions(QueueLength)
            {
                FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true,
            }, _ => Interlocked.Increment(ref _dropped));
            _queues[id] = queue;
            _senders.Add(Task.Run(() => SendLoopAsync(id, endpoint, queue.Reader, _stop.Token)));
        }
    }

    /// <summary>Messages dropped because a peer's queue was full (the peer unreachable for a while).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a message for a peer; never waits.</summary>
    public void Send(string to, ControlMessage message)
    {
        if (_queues.TryGetValue(to, out var queue)) queue.Writer.TryWrite(message);
    }

    /// <summary>Serves one incoming control connection until it closes: its first frame is the sender's
    /// <see cref="ControlHello"/>, and every frame after it is one message. Closes a connection of another cluster or
    /// protocol version at once. Ends quietly when this lane or the caller stops it (the node stopping, or its
    /// elections).</summary>
    public async Task ServeAsync(FrameConnection link, ControlFrame first, CancellationToken ct)
    {
        if (ControlMessageCodec.Decode(first.Message.Span) is not ControlHello hello)
            throw new ProtocolException("a control link must start with a Hello control message");
        var refusal = hello.ClusterId != _clusterId
            ? $"cluster id '{hello.ClusterId}' does not match this node's cluster id '{_clusterId}'"
            : hello.ProtocolVersion != FrameCodec.ProtocolVersion
                ? $"protocol version {hello.ProtocolVersion} is not supported: this node speaks {FrameCodec.ProtocolVersion}"
                : null;
        if (refusal is not null)
        {
            LogRefused(_logger, hello.From, link.RemoteEndPoint, refusal);
            return; // closed: not one of its messages reaches the election
        }
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        Frame? frame;
        try { frame = await link.ReceiveAsync(both.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) when (both.IsCancellationRequested) { return; }
        while (frame is not null)
        {
            if (frame is not ControlFrame control) throw new ProtocolException($"a control link carries only Control frames, not {frame.Type}");
            var message = ControlMessageCodec.Decode(control.Message.Span);
            if (message is ControlHello) throw new ProtocolException("a control link sends its Hello once, first");
            _received(message);
            try { frame = await link.ReceiveAsync(both.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (both.IsCancellationRequested) { return; }
        }
    }

    private async Task SendLoopAsync(string peer, EndPoint endpoint, ChannelReader<ControlMessage> queue, CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            FrameConnection? link = null;
            try
            {
                // Wait for something to send first, so an idle lane to a dead peer does not spin on connects.
                if (!await queue.WaitToReadAsync(ct).ConfigureAwait(false)) return; // the lane is stopping
                using (var connect = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    connect.CancelAfter(TimeSpan.FromSeconds(1));
                    link = await FrameConnection.ConnectAsync(endpoint, _maxFrameBytes,
                        (socket, c) => _security.ConnectAsync(socket, endpoint, $"control lane to {peer} at {endpoint}", c), connect.Token).ConfigureAwait(false);
                }
                await link.SendAsync(new ControlFrame(_hello), ct).ConfigureAwait(false);
                if (failures > 0) LogConnected(_logger, peer, failures);
                failures = 0;
                // Drain incoming bytes (none are expected) so a peer closing the connection is noticed.
                var closed = link.ReceiveAsync(ct).AsTask();
                while (!closed.IsCompleted)
                {
                    var ready = queue.WaitToReadAsync(ct).AsTask();
                    if (await Task.WhenAny(ready, closed).ConfigureAwait(false) == closed) break;
                    // Awaited, not only waited for: once the lane stops, `ready` completes at once (cancelled, or false
                    // for a completed queue) on every call, and this loop spun on pool threads until the link's
                    // receive saw the cancellation, which those very threads had to run (stops took 1-4 s).
                    if (!await ready.ConfigureAwait(false)) return;
                    while (queue.TryRead(out var message))
                        await link.SendAsync(new ControlFrame(ControlMessageCodec.Encode(message)), ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ProtocolException or ObjectDisposedException)
            {
                if (failures++ == 0) LogLinkDown(_logger, peer, ex.Message);
                try { await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(200, 20 * failures)), ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
            finally
            {
                if (link is not null) await link.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        foreach (var q in _queues.Values) q.Writer.TryComplete();
        try { await Task.WhenAll(_senders).ConfigureAwait(false); } catch (OperationCanceledException) { }
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Control link from {From} at {Remote} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string from, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Control lane to {Peer} is down: {Error}")]
    private static partial void LogLinkDown(ILogger logger, string peer, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Control lane to {Peer} is up again after {Failures} failed attempts")]
    private static partial void LogConnected(ILogger logger, string peer, int failures);
}
