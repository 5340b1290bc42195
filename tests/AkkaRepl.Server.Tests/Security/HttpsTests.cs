using System.Net;
using System.Security.Cryptography.X509Certificates;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Tests.Node;
using AkkaRepl.Testing.Security;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Security;

public class HttpsTests(ITestOutputHelper output)
{
    [Fact(Timeout = 60_000)]
    public async Task The_admin_endpoint_serves_https_with_the_configured_certificate()
    {
        using var certificates = new TestCertificates();
        await using var cluster = new InProcessCluster("p")
        {
            Tune = o => o with { Tls = new TlsOptions { CertificateFile = certificates.CertificateFile, KeyFile = certificates.KeyFile, Http = true } },
        };
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            X509Certificate2? presented = null;
            using var handler = new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = (_, certificate, chain, _) =>
                {
                    presented = X509CertificateLoader.LoadCertificate(certificate!.RawData);
                    chain!.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    chain.ChainPolicy.CustomTrustStore.Add(certificates.Authority);
                    return chain.Build(certificate);
                },
            };
            using var https = new HttpClient(handler);
            var health = await https.GetAsync($"https://127.0.0.1:{p.HttpPort}/health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal("CN=akkarepl-node-1", presented!.Subject);
            using var plain = new HttpClient();
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetAsync($"http://127.0.0.1:{p.HttpPort}/health"));
        });
    }
}
