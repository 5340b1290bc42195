using System.Net;
using System.Net.Http.Headers;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Cli;
using AkkaRepl.Server.Tests.Node;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Security;

public class AdminTokenTests(ITestOutputHelper output)
{
    private const string Token = "admin-token-for-this-test-0123";

    private static InProcessCluster Cluster(bool protectStatus) => new("p")
    {
        Tune = o => o with { Security = new SecurityOptions { AdminToken = Token, ProtectStatus = protectStatus } },
    };

    private static HttpRequestMessage Post(int port, string path, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}{path}");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    [Fact(Timeout = 60_000)]
    public async Task Write_verbs_need_the_token_while_status_stays_open()
    {
        await using var cluster = Cluster(protectStatus: false);
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            using var http = new HttpClient();
            foreach (var path in new[] { "/admin/promote", "/admin/rebuild", "/admin/follow?primary=p&generation=9", "/admin/switchover" })
            {
                var missing = await http.SendAsync(Post(p.HttpPort, path, null));
                Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
                Assert.Contains("this endpoint needs the admin token", await missing.Content.ReadAsStringAsync());
                var wrong = await http.SendAsync(Post(p.HttpPort, path, "not-the-admin-token-at-all"));
                Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
            }
            Assert.True(cluster.Logs.Has(LogLevel.Warning, "HTTP POST /admin/promote from 127.0.0.1 refused: wrong admin token"));
            Assert.Equal(1UL, p.GetStatus().Generation); // nothing ran

            var allowed = await http.SendAsync(Post(p.HttpPort, "/admin/rebuild", Token));
            Assert.NotEqual(HttpStatusCode.Unauthorized, allowed.StatusCode);
            Assert.NotEqual(HttpStatusCode.Forbidden, allowed.StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{p.HttpPort}/status")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{p.HttpPort}/health")).StatusCode);
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task With_protect_status_reads_need_the_token_and_the_cli_client_passes_it()
    {
        await using var cluster = Cluster(protectStatus: true);
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            using var http = new HttpClient();
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync($"http://127.0.0.1:{p.HttpPort}/status")).StatusCode);
            var address = $"127.0.0.1:{p.HttpPort}";
            using (var anonymous = new AdminClient(""))
            {
                var error = await Assert.ThrowsAsync<AkkaReplException>(() => anonymous.StatusAsync(address, default));
                Assert.Equal($"node {address} needs the admin token for /status: pass --token or set AKKAREPL_ADMIN_TOKEN to the node's akkarepl.security.admin-token",
                    error.Message);
            }
            using var admin = new AdminClient(Token);
            Assert.Equal("p", (await admin.StatusAsync(address, default)).NodeId);
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task Backup_and_verify_pass_the_token_and_without_it_are_refused_with_a_clear_error()
    {
        await using var cluster = Cluster(protectStatus: false);
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var address = $"127.0.0.1:{p.HttpPort}";
            var root = Directory.CreateTempSubdirectory("akkarepl-token-backup-").FullName;
            try
            {
                var refused = await Assert.ThrowsAsync<AkkaReplException>(() =>
                    new AkkaRepl.Server.Backup.BackupWriter(_ => { }).TakeAsync(address, Path.Combine(root, "without"), CancellationToken.None));
                output.WriteLine(refused.Message);
                Assert.Contains($"it needs the admin token ({AdminTokenOption.Hint})", refused.Message);
                Assert.False(Directory.Exists(Path.Combine(root, "without")) && Directory.EnumerateFileSystemEntries(Path.Combine(root, "without")).Any(),
                    "a refused backup left files behind");

                var manifest = await new AkkaRepl.Server.Backup.BackupWriter(_ => { }, Token).TakeAsync(address, Path.Combine(root, "with"), CancellationToken.None);
                Assert.Equal("p", manifest.SourceNode);

                using var digests = new AkkaRepl.Server.Verify.DigestClient(TimeSpan.FromSeconds(10), Token);
                var report = await new AkkaRepl.Server.Verify.Verifier(digests, 64)
                    .RunAsync([new AkkaRepl.Server.Verify.VerifyTarget("p", address)], CancellationToken.None);
                output.WriteLine(System.Text.Json.JsonSerializer.Serialize(report));
                Assert.True(report.AllEqual, "verify of a single node with the token did not pass");
            }
            finally { Directory.Delete(root, recursive: true); }
        });
    }
}
