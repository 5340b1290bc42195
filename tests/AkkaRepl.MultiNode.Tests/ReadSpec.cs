using AkkaRepl.Testing.Cluster;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Resp;
using AkkaRepl.Testing.Specs;
using Xunit.Abstractions;

namespace AkkaRepl.MultiNode.Tests;

/// <summary>
/// What a Redis user sees on each node: a replica serves GET of what it has applied (read-your-writes with the
/// LASTLSN token, G6), refuses writes with READONLY, and ROLE / WAIT answer as in Redis.
/// </summary>
public sealed class ReadSpec(ITestOutputHelper output)
{
    private static readonly Role P = new("p"), R1 = new("r1"), R2 = new("r2");

    [Fact(Timeout = 60_000)]
    public async Task Replica_serves_applied_reads_refuses_writes_and_ROLE_names_each_side()
    {
        var seed = TestSeed.Pick(output, pinned: 6);
        await using var cluster = new ReplicationCluster(nameof(Replica_serves_applied_reads_refuses_writes_and_ROLE_names_each_side), output, [P, R1, R2], P,
            ManualPromotion.Setting);
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAllAsync(ct, oneByOne: true);
            await cluster.WaitForPrimaryAsync(P, 1, ct);
            await using var primary = await cluster.ConnectAsync(P, ct);
            await using var replica = await cluster.ConnectAsync(R1, ct);

            var value = $"v{seed}";
            Assert.Equal(RespValue.Ok, await primary.SendAsync(["SET", "greeting", value], ct));
            var token = (await primary.SendAsync(["LASTLSN"], ct)).AsInteger();
            Assert.True(token > 0, $"LASTLSN after a write should be positive, was {token}");
            Assert.Equal(2, (await primary.SendAsync(["WAIT", "2", "5000"], ct)).AsInteger());   // both replicas hold it

            await cluster.WaitForAppliedAsync(R1, token, ct);
            cluster.Checkpoint($"r1-applied-{token}");
            Assert.Equal(value, (await replica.SendAsync(["GET", "greeting"], ct)).AsString());

            var refused = await replica.SendAsync(["SET", "greeting", "from-replica"], ct);
            Assert.True(refused.IsError, $"SET on a replica answered {refused}");
            Assert.Equal("READONLY You can't write against a read only replica.", refused.Text);
            Assert.Equal(value, (await primary.SendAsync(["GET", "greeting"], ct)).AsString());   // nothing changed

            var primaryRole = await primary.SendAsync(["ROLE"], ct);
            output.WriteLine($"ROLE on p: {primaryRole}");
            Assert.Equal("master", primaryRole.Items![0].AsString());
            Assert.True(primaryRole.Items[1].AsInteger() >= token, $"master offset below the write's LSN: {primaryRole}");
            await Testing.Waits.Eventually.WaitAsync(async () => (await primary.SendAsync(["ROLE"], ct)).Items![2].Items!.Count,
                n => n == 2, TimeSpan.FromSeconds(10), "ROLE on p to list both replicas", ct);

            var replicaRole = await replica.SendAsync(["ROLE"], ct);
            output.WriteLine($"ROLE on r1: {replicaRole}");
            Assert.Equal("slave", replicaRole.Items![0].AsString());
            Assert.Equal("127.0.0.1", replicaRole.Items[1].AsString());
            Assert.Equal(cluster[P].Endpoints.Resp, replicaRole.Items[2].AsInteger());
            Assert.Equal("connected", replicaRole.Items[3].AsString());
            Assert.True(replicaRole.Items[4].AsInteger() >= token, $"replica offset below the applied write: {replicaRole}");
        }, TimeSpan.FromSeconds(55));
    }
}
