using System.Collections.Concurrent;
using System.Net;
using AkkaRepl.Replication.Cluster.Election;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Tests.Support;
using AkkaRepl.Replication.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Replication.Tests.Cluster.Election;

public sealed class ControlLaneTests
{
    /// <summary>
    /// A peer's incoming control link is served until it closes or this node stops its lane. Stopping used to end
    /// the serve with OperationCanceledException, which the replication port logged on every node stop as a warning
    /// ("Replication handshake with ... failed: The operation was canceled"), once per peer.
    /// </summary>
    [Fact(Timeout = 30_000)]
    public async Task A_served_control_link_ends_quietly_when_the_lane_stops()
    {
        var received = new ConcurrentQueue<ControlMessage>();
        var lane = new ControlLane(new Dictionary<string, EndPoint>(), received.Enqueue, 1 << 20, NullLogger.Instance);
        var (socket, peer) = await SocketPair.ConnectAsync();
        using var _ = peer;
        await using var link = new FrameConnection(socket, 1 << 20);

        var serving = lane.ServeAsync(link, new ControlFrame(ControlMessageCodec.Encode(new TimeoutNow("n2", 3))), CancellationToken.None);
        Assert.False(serving.IsCompleted, "the link is open: the lane waits for its next frame");
        await lane.DisposeAsync();

        await serving.WaitAsync(TimeSpan.FromSeconds(10)); // ends, and does not throw
        Assert.Equal(new TimeoutNow("n2", 3), Assert.Single(received));
    }
}
