using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Security;
using AkkaRepl.Server.Http.StatusPage;
using AkkaRepl.Server.Tests.Node;
using AkkaRepl.Testing.Security;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Security;

/// <summary>Node-to-node HTTP (the returning primary's status probe, the status page's cluster view) follows the cluster's
/// HTTP settings: HTTPS with the peer's certificate checked, and the admin token when status is protected.</summary>
public class PeerHttpsTests(ITestOutputHelper output)
{
    private const string Token = "the-admin-token-of-this-test-0123456789";

    [Fact(Timeout = 120_000)]
    public async Task Peers_status_is_read_over_https_with_the_admin_token_when_the_http_ports_need_them()
    {
        using var certificates = new TestCertificates();
        await using var cluster = new InProcessCluster("p", "r1")
        {
            Tune = o => o with
            {
                Tls = new TlsOptions { CertificateFile = certificates.CertificateFile, KeyFile = certificates.KeyFile, Http = true, PeerCaFile = certificates.AuthorityFile },
                Security = o.Security with { AdminToken = Token, ProtectStatus = true },
            },
        };
        await cluster.RunAsync(output, async () =>
        {
            await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            var toP = cluster.Members().Where(m => m.Id == "p").ToList();
            var timeout = TimeSpan.FromSeconds(10);

            // What the returning primary's probe sees: p's generation, over HTTPS with the token.
            using (var probe = new PeerProbe(toP, timeout, r1.PeerHttp))
                Assert.Equal("p", Assert.Single(await probe.AskAllAsync(default)).NodeId);
            // Plain HTTP against an HTTPS-only port, or HTTPS without the token, gets no answer (the old behaviour).
            using (var plain = new PeerProbe(toP, timeout))
                Assert.Empty(await plain.AskAllAsync(default));
            using (var noToken = new PeerProbe(toP, timeout, new PeerHttp(true, new LinkTls(r1.Certificates!, cluster.Options["r1"].Tls), null)))
                Assert.Empty(await noToken.AskAllAsync(default));
            // A peer certificate from a CA this node does not trust is refused.
            using var stranger = new TestCertificates("CN=Some Other CA");
            var strangerTls = new TlsOptions { CertificateFile = stranger.CertificateFile, KeyFile = stranger.KeyFile, Http = true, PeerCaFile = stranger.AuthorityFile };
            var reloader = new AkkaRepl.Core.Security.CertificateReloader(strangerTls, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            using (var untrusting = new PeerProbe(toP, timeout, new PeerHttp(true, new LinkTls(reloader, strangerTls), Token)))
                Assert.Empty(await untrusting.AskAllAsync(default));

            // The status page's cluster view served by r1 shows p's status, not an error.
            var view = await new ClusterView(r1).BuildAsync(default);
            var p = view["nodes"]!.AsArray().Single(n => (string?)n!["id"] == "p")!;
            Assert.Null(p["error"]);
            Assert.Equal("p", (string?)p["status"]!["nodeId"]);
        });
    }
}
