using AkkaRepl.Server.Tests.Resp;
using StackExchange.Redis;

namespace AkkaRepl.Server.Tests.Security;

/// <summary>StackExchange.Redis 1.2.6 authenticates with its <c>password=</c> option (it sends <c>AUTH password</c>).</summary>
public class StackExchangeRedisAuthTests
{
    [Fact(Timeout = 60_000)]
    public async Task The_client_logs_in_with_the_password_option_and_is_refused_without_it()
    {
        await using var server = await RespTestServer.StartAsync(authenticator: TestUsers.Authenticator());
        using (var redis = await ConnectionMultiplexer.ConnectAsync(
                   $"127.0.0.1:{server.Port},password=s3cret-default,abortConnect=true,connectTimeout=10000"))
        {
            var db = redis.GetDatabase();
            Assert.True(await db.StringSetAsync("k", "v"));
            Assert.Equal("v", (string?)await db.StringGetAsync("k"));
        }
        await Assert.ThrowsAnyAsync<RedisException>(() => ConnectionMultiplexer.ConnectAsync(
            $"127.0.0.1:{server.Port},password=wrong,abortConnect=true,connectTimeout=5000"));
    }
}
