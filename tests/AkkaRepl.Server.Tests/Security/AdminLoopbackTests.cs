using System.Net;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Server.Tests.Security;

/// <summary>
/// Without an admin token the admin verbs (promote, follow, switchover, rebuild, and the whole data set through
/// <c>/admin/backup/snapshot</c>) used to answer anyone who reached the HTTP port, bind address or not. Now, like RESP
/// without users, they answer loopback clients only unless <c>allow-unauthenticated-remote</c> is on.
/// </summary>
public class AdminLoopbackTests
{
    private static async Task<(int Status, bool Served, string Body)> SendAsync(SecurityOptions options, string method, string path, IPAddress? remote)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        context.Connection.RemoteIpAddress = remote;
        context.Response.Body = new MemoryStream();
        var served = false;
        await new AdminTokenGate(options, NullLogger.Instance).InvokeAsync(context, _ => { served = true; return Task.CompletedTask; });
        context.Response.Body.Position = 0;
        return (context.Response.StatusCode, served, await new StreamReader(context.Response.Body).ReadToEndAsync());
    }

    [Theory(Timeout = 10_000)]
    [InlineData("POST", "/admin/promote")]
    [InlineData("POST", "/admin/backup/snapshot")]
    [InlineData("GET", "/admin/backup/wal")]
    public async Task Without_a_token_admin_verbs_from_another_machine_are_refused_naming_the_setting(string method, string path)
    {
        await Task.Yield();
        var (status, served, body) = await SendAsync(new SecurityOptions(), method, path, IPAddress.Parse("10.1.2.3"));
        Assert.False(served);
        Assert.Equal(StatusCodes.Status403Forbidden, status);
        Assert.Contains("akkarepl.security.admin-token", body);
        Assert.Contains("allow-unauthenticated-remote", body);
    }

    [Theory(Timeout = 10_000)]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    public async Task Without_a_token_admin_verbs_from_loopback_are_served(string remote)
    {
        await Task.Yield();
        var (_, served, _) = await SendAsync(new SecurityOptions(), "POST", "/admin/promote", IPAddress.Parse(remote));
        Assert.True(served);
    }

    [Fact(Timeout = 10_000)]
    public async Task Reads_from_another_machine_and_verbs_when_remote_access_is_allowed_are_served()
    {
        await Task.Yield();
        var remote = IPAddress.Parse("10.1.2.3");
        Assert.True((await SendAsync(new SecurityOptions(), "GET", "/status", remote)).Served);
        Assert.True((await SendAsync(new SecurityOptions { AllowUnauthenticatedRemote = true }, "POST", "/admin/promote", remote)).Served);
    }
}
