using AkkaRepl.Client.Resp;
using AkkaRepl.Core.Errors;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Server.Node;
using Microsoft.Extensions.Logging;
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

    /// <summary>With elections on, every generation above 1 is a majority's (<c>ElectionState.FirstElectedGeneration</c>).
    /// The configured initial primary's first start saves generation 1 and then appends the record that starts it; a
    /// crash in between leaves "primary, generation 1" on record and an empty log. Restarted, it used to take the next
    /// generation, 2, without a vote: the very generation its peers may have elected one of them in while it was down
    /// (G2). It must start as a replica that knows no primary, and the cluster elects one by votes.</summary>
    [Fact(Timeout = 60_000)]
    public async Task A_primary_on_record_whose_log_is_empty_takes_no_generation_without_votes()
    {
        await Task.Yield();
        await using var cluster = new InProcessCluster("p", "r1", "r2") { Elections = true };
        await cluster.RunAsync(output, async () =>
        {
            await File.WriteAllTextAsync(DataFile(cluster, "p", "node-state.json"), """{ "highestGeneration": 1, "role": "primary", "primaryId": "p" }""");

            // p comes back first: its probe finds no peer to learn a newer generation from.
            var p = await cluster.StartAsync("p");
            AssertWaitsForAnElection(p, generation: 1);

            await cluster.StartAsync("r1");
            await cluster.StartAsync("r2");
            var primary = await ElectedPrimaryAsync(cluster);
            await SetAsync(primary, "k", "v");
            AssertEveryGenerationAboveOneWasWonByVotes(cluster);
        });
    }

    /// <summary>A node that voted for another in generation 2 and lost its <c>node-state.json</c> (its <c>vote.json</c>
    /// kept): the generation it starts from must count the vote, and, being the configured initial primary with a log
    /// of generation 1, it used to take generation 2 without a vote, the one it had just voted another node into
    /// (G2). It starts as a replica of generation 2 that follows nobody yet, and follows that generation's primary
    /// when it returns.</summary>
    [Fact(Timeout = 60_000)]
    public async Task A_node_whose_vote_outlived_its_node_state_takes_no_generation_without_votes()
    {
        await Task.Yield();
        await using var cluster = new InProcessCluster("p", "r1", "r2") { Elections = true };
        await cluster.RunAsync(output, async () =>
        {
            var p = await StartAllAndWriteAsync(cluster);

            await cluster.StopAsync("p");
            var winner = await ElectedPrimaryAsync(cluster);
            var elected = winner.Coordinator.Generation.Value; // 2, unless a split vote took a round or more
            await SetAsync(winner, "k2", "v2");
            var w = winner.NodeId.Value;
            var other = w == "r1" ? "r2" : "r1";
            await cluster.StopAsync(w);
            await cluster.StopAsync(other);

            // What p's disk holds: its vote for w in that generation; node-state.json lost.
            File.Delete(DataFile(cluster, "p", "node-state.json"));
            await File.WriteAllTextAsync(DataFile(cluster, "p", "vote.json"), $$"""{ "generation": {{elected}}, "votedFor": "{{w}}" }""");

            p = await cluster.StartAsync("p");
            AssertWaitsForAnElection(p, generation: elected);

            await cluster.StartAsync(w);
            await cluster.StartAsync(other);
            var primary = await ElectedPrimaryAsync(cluster);
            await Wait.Until(() => p.Coordinator.PrimaryId == primary.NodeId.Value && p.GetStatus().AppliedLsn >= primary.GetStatus().FlushedLsn,
                "p to follow the primary and apply its log");
            await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort))
                Assert.Equal("v2", (await redis.ExecuteAsync(default, "GET", "k2")).AsString());
            AssertOnePrimaryPerGeneration(cluster);
        });
    }

    /// <summary>G1. The primary lost its WAL (the directory gone) but kept its node-state.json; the whole cluster restarted.
    /// With elections on it starts as a replica (it may not lead without votes), but it used to serve its followers
    /// anyway: they linked to it, found no history in common, and cut their whole log into rollback files, so a write
    /// acknowledged at quorum was gone from every node. And as it heartbeats while alive, its followers never ran. Now
    /// it refuses them, they forget it and elect the most up-to-date among themselves, and it catches up from the winner.</summary>
    [Fact(Timeout = 90_000)]
    public async Task A_primary_that_lost_its_wal_makes_no_replica_cut_its_log_and_the_cluster_elects_one_that_holds_it()
    {
        await Task.Yield();
        await using var cluster = new InProcessCluster("p", "r1", "r2") { Elections = true };
        await cluster.RunAsync(output, async () =>
        {
            var p = await StartAllAndWriteAsync(cluster);
            await Wait.Until(() => cluster.Nodes.Values.All(n => n.GetStatus().FlushedLsn >= p.GetStatus().FlushedLsn), "r1 and r2 to hold p's log");
            foreach (var id in new[] { "p", "r1", "r2" }) await cluster.StopAsync(id);

            Directory.Delete(Path.Combine(cluster.OptionsFor("p").Node.DataDir, "wal"), recursive: true); // node-state.json kept
            p = await cluster.StartAsync("p");
            await cluster.StartAsync("r1");
            await cluster.StartAsync("r2");

            var primary = await ElectedPrimaryAsync(cluster);
            Assert.NotEqual("p", primary.NodeId.Value);
            Assert.True(cluster.Logs.Has(LogLevel.Warning, "refused the link: node p does not serve replicas right now"),
                "no replica logged that p refused to serve it");
            Assert.Equal("v", await GetAsync(primary, "k"));
            foreach (var id in new[] { "p", "r1", "r2" })
                Assert.False(HasRollbackFiles(cluster, id), $"{id} cut its log into rollback files");
            await Wait.Until(() => p.Coordinator.PrimaryId == primary.NodeId.Value && p.GetStatus().AppliedLsn >= primary.GetStatus().FlushedLsn,
                "p to follow the new primary and catch up");
            Assert.Equal("v", await GetAsync(p, "k"));
            AssertEveryGenerationAboveOneWasWonByVotes(cluster);
        });
    }

    /// <summary>G1, static roles: the primary lost its WAL but kept its node-state.json. It used to restart as "the primary
    /// on record" in the next generation with an empty log, and its replicas cut their whole log to follow it. It must
    /// refuse to start, saying why and what to do, and leave the replicas' logs alone.</summary>
    [Fact(Timeout = 60_000)]
    public async Task A_primary_on_record_that_lost_its_wal_refuses_to_start_with_static_roles()
    {
        await Task.Yield();
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            var p = await StartAllAndWriteAsync(cluster);
            await Wait.Until(() => cluster.Nodes.Values.All(n => n.GetStatus().FlushedLsn >= p.GetStatus().FlushedLsn), "r1 and r2 to hold p's log");
            var held = p.GetStatus().FlushedLsn;
            foreach (var id in new[] { "p", "r1", "r2" }) await cluster.StopAsync(id);

            var walDir = Path.Combine(cluster.OptionsFor("p").Node.DataDir, "wal");
            Directory.Delete(walDir, recursive: true); // node-state.json kept: primary of generation 1
            var error = await Assert.ThrowsAsync<AkkaReplException>(() => cluster.StartAsync("p"));
            output.WriteLine(error.Message);
            Assert.Contains($"WAL of {walDir} is empty", error.Message);
            Assert.Contains("primary of generation 1", error.Message);
            Assert.Contains("discard", error.Message);
            Assert.Contains("backup", error.Message);
            Assert.Contains("promote a replica", error.Message);

            foreach (var id in new[] { "r1", "r2" })
            {
                var r = await cluster.StartAsync(id);
                Assert.Equal(held, r.GetStatus().FlushedLsn);
                Assert.False(HasRollbackFiles(cluster, id), $"{id} cut its log into rollback files");
            }

            // What the message advises: promote a replica that holds the log, and start p again; it follows and catches up.
            var r1 = cluster["r1"];
            await r1.Coordinator.PromoteAsync("test: p lost its log", default);
            p = await cluster.StartAsync("p");
            await Wait.Until(() => p.Coordinator.PrimaryId == "r1" && p.GetStatus().AppliedLsn >= r1.GetStatus().FlushedLsn, "p to follow r1 and catch up");
            Assert.Equal("v", await GetAsync(p, "k"));
            foreach (var id in new[] { "p", "r1", "r2" })
                Assert.False(HasRollbackFiles(cluster, id), $"{id} cut its log into rollback files");
        });
    }

    private static bool HasRollbackFiles(InProcessCluster cluster, string id)
    {
        var dir = Path.Combine(cluster.OptionsFor(id).Node.DataDir, "rollback");
        return Directory.Exists(dir) && Directory.EnumerateFiles(dir).Any();
    }

    private static async Task<string?> GetAsync(NodeHost node, string key)
    {
        await using var redis = await RespConnection.ConnectAsync("127.0.0.1", node.RespPort);
        return (await redis.ExecuteAsync(default, "GET", key)).AsString();
    }

    private static string DataFile(InProcessCluster cluster, string id, string name) =>
        Path.Combine(Directory.CreateDirectory(cluster.OptionsFor(id).Node.DataDir).FullName, name);

    /// <summary>Started as a replica of <paramref name="generation"/> that follows nobody: no generation of its own.</summary>
    private static void AssertWaitsForAnElection(NodeHost node, ulong generation)
    {
        Assert.False(node.AcceptsWrites, $"{node.NodeId} accepts writes as a primary it made itself");
        Assert.Null(node.Coordinator.WritingGeneration);
        Assert.Equal(NodeRole.Replica, node.Coordinator.Role);
        Assert.Equal(generation, node.Coordinator.Generation.Value);
        Assert.Null(node.Coordinator.PrimaryId);
        Assert.Contains("majority's votes", node.Coordinator.RecentEvents[^1].Reason);
    }

    private static async Task<NodeHost> ElectedPrimaryAsync(InProcessCluster cluster)
    {
        NodeHost? primary = null;
        await Wait.Until(() => cluster.Nodes.Values.Where(n => n.AcceptsWrites).ToList() is [var only] && (primary = only) is not null,
            "one node to hold a primary's lease");
        return primary!;
    }

    /// <summary>Starts p (the configured primary), r1 and r2, and writes k = v through p at quorum once p may acknowledge
    /// (with elections on, once it holds its lease).</summary>
    private static async Task<NodeHost> StartAllAndWriteAsync(InProcessCluster cluster)
    {
        var p = await cluster.StartAsync("p");
        await cluster.StartAsync("r1");
        await cluster.StartAsync("r2");
        await Wait.Until(() => p.AcceptsWrites, "p to accept writes");
        await SetAsync(p, "k", "v");
        return p;
    }

    private static async Task SetAsync(NodeHost node, string key, string value)
    {
        await using var redis = await RespConnection.ConnectAsync("127.0.0.1", node.RespPort);
        Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", key, value)).AsString());
    }

    private static void AssertOnePrimaryPerGeneration(InProcessCluster cluster)
    {
        foreach (var generation in cluster.RoleChanges().Where(e => e.Role == NodeRole.Primary).GroupBy(e => e.Generation))
            Assert.Single(generation.Select(e => e.Node).Distinct());
    }

    private static void AssertEveryGenerationAboveOneWasWonByVotes(InProcessCluster cluster)
    {
        AssertOnePrimaryPerGeneration(cluster);
        var elected = cluster.RoleChanges().Where(e => e.Role == NodeRole.Primary && e.Generation.Value > 1).ToList();
        Assert.NotEmpty(elected);
        Assert.All(elected, e => Assert.StartsWith("won election", e.Reason));
    }
}
