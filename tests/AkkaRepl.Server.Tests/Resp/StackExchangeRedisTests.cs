using StackExchange.Redis;

namespace AkkaRepl.Server.Tests.Resp;

/// <summary>Compatibility with a real Redis client library (StackExchange.Redis 1.2.6).</summary>
public class StackExchangeRedisTests
{
    private static async Task<ConnectionMultiplexer> ConnectAsync(RespTestServer server) =>
        await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},abortConnect=true,connectTimeout=10000");

    [Fact(Timeout = 30_000)]
    public async Task The_client_connects_sets_gets_and_increments()
    {
        await using var server = await RespTestServer.StartAsync();
        using var redis = await ConnectAsync(server);
        var db = redis.GetDatabase();
        Assert.True(await db.StringSetAsync("greeting", "hello"));
        Assert.Equal("hello", (string?)await db.StringGetAsync("greeting"));
        Assert.True((await db.StringGetAsync("missing")).IsNull);
        Assert.Equal(5, await db.StringIncrementAsync("counter", 5));
        Assert.Equal(4, await db.StringDecrementAsync("counter"));
        Assert.True(await db.KeyDeleteAsync("greeting"));
        Assert.False(await db.KeyExistsAsync("greeting"));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_conditional_transaction_commits_when_the_condition_holds_and_not_otherwise()
    {
        await using var server = await RespTestServer.StartAsync();
        using var redis = await ConnectAsync(server);
        var db = redis.GetDatabase();

        var create = db.CreateTransaction();
        create.AddCondition(Condition.KeyNotExists("account"));
        var set = create.StringSetAsync("account", "100");
        Assert.True(await create.ExecuteAsync());
        Assert.True(await set);

        var again = db.CreateTransaction();
        again.AddCondition(Condition.KeyNotExists("account"));
        _ = again.StringSetAsync("account", "0");
        Assert.False(await again.ExecuteAsync());
        Assert.Equal("100", (string?)await db.StringGetAsync("account"));

        var update = db.CreateTransaction();
        update.AddCondition(Condition.StringEqual("account", "100"));
        var incr = update.StringIncrementAsync("account", 5);
        Assert.True(await update.ExecuteAsync());
        Assert.Equal(105, await incr);
    }
}
