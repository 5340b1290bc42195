using AkkaRepl.Client.Errors;

namespace AkkaRepl.Client.Tests.Writes;

/// <summary>
/// The client's write failure policy, reply by reply, against a scripted primary: each error a primary can answer a
/// write with maps to its typed exception, and a write the primary may have committed is sent exactly once.
/// The real replies are KvBackend.Refused's; a real cluster gives LEASELOST only when a partition races a write.
/// </summary>
public sealed class WriteFailurePolicyTests
{
    private const string LeaseLost =
        "LEASELOST this node stopped being the primary (lost its lease) before the write was acknowledged: its outcome is unknown; the primary is n2";

    [Theory(Timeout = 20_000)]
    [InlineData(LeaseLost, typeof(WriteOutcomeUnknownException))]
    [InlineData("MISCONF the write was not made durable: the WAL stopped", typeof(WriteOutcomeUnknownException))]
    [InlineData("NOTDURABLE durability quorum not reached within 5000 ms; the write is durable on the primary only", typeof(WriteNotDurableException))]
    [InlineData("ERR value is not an integer or out of range", typeof(ServerErrorException))]
    public async Task An_error_reply_to_a_write_raises_its_typed_exception_and_the_write_is_sent_once(string error, Type expected)
    {
        await Task.Yield();
        await using var node = new ScriptedRespNode(_ => $"-{error}\r\n");
        await using var client = await AkkaReplClient.ConnectAsync(new AkkaReplClientOptions
        {
            Seeds = [node.Address],
            OperationTimeout = TimeSpan.FromSeconds(5),
        });

        var thrown = await Assert.ThrowsAnyAsync<AkkaReplClientException>(() => client.SetAsync("k", "v"));

        Assert.IsType(expected, thrown);
        Assert.Contains(error, thrown.Message);
        Assert.Equal(["SET", "k", "v"], Assert.Single(node.Received));
        if (thrown is WriteOutcomeUnknownException unknown)
        {
            Assert.Equal(node.Address, unknown.Node);
            Assert.Contains($"write {unknown.Write} to {node.Address}: outcome unknown", thrown.Message);
        }
    }

    [Fact(Timeout = 20_000)]
    public async Task After_LEASELOST_the_client_looks_for_the_primary_again_before_the_next_write()
    {
        await Task.Yield();
        var answers = 0;
        // The first write is cut off by the lost lease; the node then serves again as a primary (e.g. re-elected).
        await using var node = new ScriptedRespNode(_ => Interlocked.Increment(ref answers) == 1 ? $"-{LeaseLost}\r\n" : "+OK\r\n");
        await using var client = await AkkaReplClient.ConnectAsync(new AkkaReplClientOptions
        {
            Seeds = [node.Address],
            RefreshInterval = TimeSpan.FromHours(1), // only a reported failure makes it probe
            OperationTimeout = TimeSpan.FromSeconds(5),
        });

        Assert.Equal(1, node.RoleProbes); // ConnectAsync's

        await Assert.ThrowsAsync<WriteOutcomeUnknownException>(() => client.SetAsync("k", "v1"));
        var second = await client.SetAsync("k", "v2");

        Assert.Equal("OK", second.Reply.AsString());
        Assert.Equal([["SET", "k", "v1"], ["SET", "k", "v2"]], node.Received.ToArray());
        Assert.True(node.RoleProbes >= 2, $"the LEASELOST reply did not make the client probe for the primary ({node.RoleProbes} probe(s))");
    }
}
