using AkkaRepl.Client.Topology;

namespace AkkaRepl.Client.Tests;

public sealed class OptionsTests
{
    [Fact(Timeout = 5_000)]
    public async Task Bad_options_are_refused_with_every_problem_named()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => AkkaReplClient.ConnectAsync(new AkkaReplClientOptions
        {
            Seeds = ["127.0.0.1", "node:99999"],
            OperationTimeout = TimeSpan.Zero,
            ConnectionsPerNode = 0,
        }));
        Assert.Equal("invalid AkkaReplClientOptions:\n" +
                     "Seeds: '127.0.0.1' is not a node address: expected host:port, e.g. 127.0.0.1:7379\n" +
                     "Seeds: 'node:99999' is not a node address: expected host:port, e.g. 127.0.0.1:7379\n" +
                     "OperationTimeout = 00:00:00 must be positive\n" +
                     "ConnectionsPerNode = 0 must be 1..64", error.Message);
        var empty = await Assert.ThrowsAsync<ArgumentException>(() => AkkaReplClient.ConnectAsync(new AkkaReplClientOptions()));
        Assert.Equal("invalid AkkaReplClientOptions:\nSeeds is empty: give at least one node address as host:port", empty.Message);
    }

    [Fact(Timeout = 5_000)]
    public async Task A_node_address_is_host_and_port()
    {
        await Task.Yield();
        Assert.Equal(new NodeEndpoint("10.0.0.1", 7379), NodeEndpoint.Parse("10.0.0.1:7379"));
        Assert.Equal(new NodeEndpoint("::1", 6379), NodeEndpoint.Parse("::1:6379"));
    }
}
