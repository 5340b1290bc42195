using System.Reflection;
using AkkaRepl.Client.Resp;
using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Cluster;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Node;

/// <summary>An election result that went stale before the role worker carried it out.</summary>
public sealed class StaleElectionResultTests(ITestOutputHelper output)
{
    /// <summary>A replica wins generation 2, but before its role worker makes it the primary it learns that generation 3
    /// was taken by the very node it already follows. The stale result is dropped: it must leave the replica's link to
    /// that primary running. (Nothing else would restart it: followers of the same primary id are left alone.)</summary>
    [Fact(Timeout = 60_000)]
    public async Task A_stale_election_result_leaves_the_replica_streaming_from_its_primary()
    {
        await Task.Yield();
        await using var cluster = new InProcessCluster("p", "r1");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            await Wait.Until(() => r1.GetStatus().Upstream?.State == "streaming", "r1 to stream from p");

            // p takes generations 2 and 3 (the same id r1 follows); r1 hears of 3 through its link.
            for (var i = 0; i < 2; i++)
            {
                await p.Coordinator.FollowAsync("r1", p.Coordinator.Generation, "test: step aside", default);
                await p.Coordinator.PromoteAsync("test: take the next generation", default);
            }
            Assert.Equal(3UL, p.Coordinator.Generation.Value);
            await Wait.Until(() => r1.Coordinator.Generation.Value == 3 && r1.GetStatus().Upstream?.State == "streaming", "r1 to follow p in generation 3");
            Assert.Equal("p", r1.Coordinator.PrimaryId);

            // r1's win of generation 2 reaches the role worker only now: stale.
            var becomePrimary = typeof(Coordinator).GetMethod("BecomePrimaryAsync", BindingFlags.Instance | BindingFlags.NonPublic)!;
            await (Task)becomePrimary.Invoke(r1.Coordinator, [true, "test: won generation 2", CancellationToken.None, (Generation?)new Generation(2)])!;

            Assert.Equal(NodeRole.Replica, r1.Coordinator.Role);
            Assert.NotNull(r1.Coordinator.Receiver);
            await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort))
                Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", "after", "stale-win")).AsString());
            await Wait.Until(() => r1.GetStatus().AppliedLsn >= p.GetStatus().FlushedLsn, "r1 to apply p's write made after the stale result", 10_000);
        });
    }
}
