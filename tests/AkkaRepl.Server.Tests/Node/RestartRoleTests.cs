using AkkaRepl.Client.Resp;
using AkkaRepl.Server.Node;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Node;

/// <summary>The role a node takes when it restarts, from what it saved before it stopped.</summary>
public sealed class RestartRoleTests(ITestOutputHelper output)
{
    /// <summary>A primary that learns of a higher generation saves it at once (fencing, G3), and steps down a moment
    /// later. A crash in between leaves "primary, generation 2" on record, though generation 2 is another node's: it
    /// must come back as that node's replica, never as a second primary of generation 2 (G2).</summary>
    [Fact(Timeout = 60_000)]
    public async Task A_primary_on_record_of_a_generation_its_log_never_started_restarts_as_a_replica()
    {
        await Task.Yield();
        await using var cluster = new InProcessCluster("p", "r1");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort))
                Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", "k", "v")).AsString());
            await Wait.Until(() => r1.GetStatus().AppliedLsn >= p.GetStatus().FlushedLsn, "r1 to apply p's log");
            await cluster.StopAsync("p");
            await r1.Coordinator.PromoteAsync("test: p is down", default);
            Assert.Equal(2UL, r1.GetStatus().Generation);

            // What p's crash left: the higher generation saved, the role not yet changed.
            var stateFile = Path.Combine(cluster.Options["p"].Node.DataDir, "node-state.json");
            await File.WriteAllTextAsync(stateFile, """{ "highestGeneration": 2, "role": "primary", "primaryId": "p" }""");

            p = await cluster.StartAsync("p");
            Assert.False(p.AcceptsWrites, "p accepts writes as a second primary of generation 2");
            Assert.Equal("replica", p.GetStatus().Role);
            Assert.Null(p.Coordinator.WritingGeneration);
            await Wait.Until(() => p.GetStatus().Upstream?.State == "streaming" && p.Coordinator.PrimaryId == "r1", "p to follow r1");
        });
    }
}
