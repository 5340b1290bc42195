using System.Text.Json;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Cli;
using AkkaRepl.Server.Tests.Node;
using AkkaRepl.Testing.Security;
using Spectre.Console;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Cli;

/// <summary>The CLI verbs against a node whose HTTP port serves HTTPS: https:// in --node or --tls, --ca for a private
/// CA, and a clear error when the certificate is not trusted or the scheme is wrong.</summary>
public sealed class HttpsCliTests(ITestOutputHelper output)
{
    [Fact(Timeout = 60_000)]
    public async Task Status_reaches_an_https_node_with_its_ca_and_explains_every_certificate_failure()
    {
        using var certificates = new TestCertificates();
        using var stranger = new TestCertificates("CN=Some Other CA");
        await using var cluster = new InProcessCluster("p")
        {
            Tune = o => o with { Tls = new TlsOptions { CertificateFile = certificates.CertificateFile, KeyFile = certificates.KeyFile, Http = true } },
        };
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var address = $"127.0.0.1:{p.HttpPort}";

            var jsonOut = new StringWriter();
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(new StringWriter()), Ansi = AnsiSupport.No });
            Assert.Equal(CliErrors.Ok, await StatusCommand.RunAsync($"https://{address}", json: true, watch: false, jsonOut, console, default,
                caFile: certificates.AuthorityFile));
            Assert.Equal("p", JsonDocument.Parse(jsonOut.ToString()).RootElement[0].GetProperty("nodeId").GetString());

            // --tls with --ca is the same as https://; the write verbs go the same way (POST).
            using (var admin = new AdminClient(null, NodeHttp.Parse(address, tls: true, certificates.AuthorityFile).Http))
                Assert.Equal("p", (await admin.StatusAsync(address, default)).NodeId);

            async Task<string> ErrorAsync(string node, bool tls, string? ca)
            {
                var (hostPort, http) = NodeHttp.Parse(node, tls, ca);
                using var admin = new AdminClient(null, http);
                return (await Assert.ThrowsAsync<AkkaReplException>(() => admin.StatusAsync(hostPort, default))).Message;
            }
            var untrusted = await ErrorAsync($"https://{address}", false, null);
            Assert.StartsWith($"TLS certificate check failed for node {address}: its certificate CN=akkarepl-node-1 is not trusted", untrusted);
            Assert.Contains("pass --ca FILE with the CA that signed it", untrusted);
            var wrongCa = await ErrorAsync(address, true, stranger.AuthorityFile);
            Assert.StartsWith($"TLS certificate check failed for node {address}: its certificate CN=akkarepl-node-1 is not issued by a CA in --ca {stranger.AuthorityFile}",
                wrongCa);
            var plain = await ErrorAsync(address, false, null);
            Assert.Contains("If it serves HTTPS (akkarepl.tls.http = on), give --node https://HOST:PORT or --tls", plain);
            var missingCa = Assert.Throws<AkkaReplException>(() => NodeHttp.Parse(address, true, "/nonexistent/ca.pem"));
            Assert.StartsWith("--ca /nonexistent/ca.pem: cannot read CA certificates", missingCa.Message);
        });
    }
}
