using System.Collections.Concurrent;
using System.Net;
using AkkaRepl.Replication.Cluster.Election;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Tests.Support;
using AkkaRepl.Replication.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Replication.Tests.Cluster.Election;

public sealed class ControlLaneTests
{
    /// <summary>
    /// A peer's incoming control link is served until it closes or this node stops its lane. Stopping used to end
    /// the serve with OperationCanceledException, which the replication port logged on every node stop as a warning
    /// ("Replication handshake with ... failed: The operation was canceled"), once per peer.
    /// </summary>
    private static ControlLane Lane(Action<ControlMessage> received, ILogger? logger = null) =>
        new("n1", "cluster-a", new Dictionary<string, EndPoint>(), received, 1 << 20, logger ?? NullLogger.Instance);

    private static ControlFrame Frame(ControlMessage message) => new(ControlMessageCodec.Encode(message));

    [Fact(Timeout = 30_000)]
    public async Task A_served_control_link_ends_quietly_when_the_lane_stops()
    {
        var received = new ConcurrentQueue<ControlMessage>();
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lane = Lane(m => { received.Enqueue(m); arrived.TrySetResult(); });
        var (socket, peer) = await SocketPair.ConnectAsync();
        await using var link = new FrameConnection(socket, 1 << 20);
        await using var sender = new FrameConnection(peer, 1 << 20);

        var serving = lane.ServeAsync(link, Frame(new ControlHello("n2", FrameCodec.ProtocolVersion, "cluster-a")), CancellationToken.None);
        await sender.SendAsync(Frame(new TimeoutNow("n2", 3)), default);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10)); // the message after the hello
        Assert.False(serving.IsCompleted, "the link is open: the lane waits for its next frame");
        await lane.DisposeAsync();

        await serving.WaitAsync(TimeSpan.FromSeconds(10)); // ends, and does not throw
        Assert.Equal(new TimeoutNow("n2", 3), Assert.Single(received)); // the hello itself is not handed on
    }

    /// <summary>A node of another cluster (reached through a wrong member address: a reused port, a copied config) or
    /// of another protocol version is refused at its hello: none of its messages reaches the election, with or
    /// without a cluster secret, and a warning says which.</summary>
    [Theory(Timeout = 30_000)]
    [InlineData("cluster-b", 1, "Control link from n2 at {remote} refused: cluster id 'cluster-b' does not match this node's cluster id 'cluster-a'")]
    [InlineData("cluster-a", 9, "Control link from n2 at {remote} refused: protocol version 9 is not supported: this node speaks 1")]
    public async Task A_control_link_of_another_cluster_or_protocol_is_refused_at_its_hello(string cluster, ushort version, string warning)
    {
        var received = new ConcurrentQueue<ControlMessage>();
        var logger = new WarningLog();
        await using var lane = Lane(received.Enqueue, logger);
        var (socket, peer) = await SocketPair.ConnectAsync();
        await using var link = new FrameConnection(socket, 1 << 20);
        await using var sender = new FrameConnection(peer, 1 << 20);
        await sender.SendAsync(Frame(new VoteRequest("n2", 99, new LogPosition(99, 1), 0, Transfer: true)), default);

        await lane.ServeAsync(link, Frame(new ControlHello("n2", version, cluster)), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(received); // the vote request sent after the hello was never read
        Assert.Equal(warning.Replace("{remote}", link.RemoteEndPoint), Assert.Single(logger.Warnings));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_control_link_that_does_not_start_with_a_hello_is_closed()
    {
        var received = new ConcurrentQueue<ControlMessage>();
        await using var lane = Lane(received.Enqueue);
        var (socket, peer) = await SocketPair.ConnectAsync();
        using var _ = peer;
        await using var link = new FrameConnection(socket, 1 << 20);
        var error = await Assert.ThrowsAsync<ProtocolException>(() => lane.ServeAsync(link, Frame(new TimeoutNow("n2", 3)), CancellationToken.None));
        Assert.Equal("a control link must start with a Hello control message", error.Message);
        Assert.Empty(received);
    }

    private sealed class WarningLog : ILogger
    {
        public ConcurrentQueue<string> Warnings { get; } = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning) Warnings.Enqueue(formatter(state, exception));
        }
    }
}
