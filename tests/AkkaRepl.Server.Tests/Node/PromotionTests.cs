using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Server.Node;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Node;

/// <summary>Manual promotion and automatic failover.</summary>
public sealed class PromotionTests(ITestOutputHelper output)
{
    /// <summary>With elections on, a generation is made only by a majority's votes. A promotion by hand takes the next
    /// generation without any vote: a replica cut off from the others (why an operator would promote it) can take the
    /// very generation the others just elected a primary in, and their followers then acknowledge both (G2). It is
    /// refused, naming what to do instead, and the node stays a replica.</summary>
    [Fact(Timeout = 30_000)]
    public async Task A_promotion_by_hand_is_refused_while_automatic_failover_is_on()
    {
        await Task.Yield();
        using var dir = new TempDataDir();
        var logs = new CapturingLoggerFactory();
        var options = HandDrivenNode.Options("r1", dir.Path,
        [
            new MemberOptions { Id = "p", ReplicationPort = 1, HttpPort = 1 },
            new MemberOptions { Id = "r1" },
            new MemberOptions { Id = "r2", ReplicationPort = 1, HttpPort = 1 },
        ], "p") with { Election = new ElectionOptions { Enabled = true } };
        await using var node = await NodeHost.StartAsync(options, logs, default);
        try
        {
            Assert.True(node.Coordinator.ElectionsEnabled);
            var error = await Assert.ThrowsAsync<AkkaReplException>(() => node.Coordinator.PromoteAsync("test", default));
            output.WriteLine(error.Message);
            Assert.Contains("automatic failover is on", error.Message);
            Assert.Contains("switchover", error.Message);
            Assert.Equal(NodeRole.Replica, node.Coordinator.Role);
            Assert.Null(node.Coordinator.WritingGeneration);
            Assert.Equal(0UL, node.Coordinator.Generation.Value);
        }
        catch
        {
            output.WriteLine(logs.Dump());
            throw;
        }
    }
}
