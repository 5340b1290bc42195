using System.Net;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Security;
using AkkaRepl.Server.Tests.Node;

namespace AkkaRepl.Server.Tests.Security;

public class RespExposureTests
{
    [Fact(Timeout = 10_000)]
    public async Task Without_users_resp_listens_on_loopback_only_unless_the_operator_allows_remote_and_says_so()
    {
        await Task.Yield();
        var any = IPAddress.Any;
        var logs = new CapturingLoggerFactory();
        var logger = logs.CreateLogger("test");
        Assert.Equal(IPAddress.Loopback, RespExposure.Choose(any, new SecurityOptions(), logger));
        Assert.True(logs.Has(Microsoft.Extensions.Logging.LogLevel.Warning, "RESP listens on loopback 127.0.0.1 only, not on the bind address 0.0.0.0"), logs.Dump());
        Assert.Equal(any, RespExposure.Choose(any, new SecurityOptions { AllowUnauthenticatedRemote = true }, logger));
        Assert.True(logs.Has(Microsoft.Extensions.Logging.LogLevel.Warning, "anyone who reaches 0.0.0.0 can read and write"), logs.Dump());
        Assert.Equal(any, RespExposure.Choose(any, TestUsers.Options(), logger));
        Assert.True(logs.Has(Microsoft.Extensions.Logging.LogLevel.Information, "RESP authentication is on (3 user(s)); listening on 0.0.0.0"), logs.Dump());
    }
}
