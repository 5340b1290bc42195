using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using AkkaRepl.Client.Resp;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Server.Node;
using AkkaRepl.Server.Tests.Node;
using AkkaRepl.Testing.Security;
using AkkaRepl.Testing.Waits;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Security;

/// <summary>TLS on node links (akkarepl.tls.replication) with mutual TLS: members replicate over it, a node without a
/// trusted certificate is refused and never sees the log, and a certificate renewed on disk is used by new links.</summary>
public class ReplicationTlsTests(ITestOutputHelper output)
{
    private const string Secret = "the-cluster-secret-of-this-test";

    private static TlsOptions LinkTls(TestCertificates certificates, TestCertificates trusted) => new()
    {
        CertificateFile = certificates.CertificateFile, KeyFile = certificates.KeyFile, Replication = true, Mutual = true,
        PeerCaFile = trusted.AuthorityFile, ReloadCheckInterval = TimeSpan.FromMilliseconds(100),
    };

    private static async Task SetAsync(NodeHost primary, string key, string value)
    {
        await using var redis = await RespConnection.ConnectAsync("127.0.0.1", primary.RespPort);
        Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", key, value)).AsString());
    }

    [Fact(Timeout = 120_000)]
    public async Task Members_replicate_over_mutual_tls_and_a_node_without_a_trusted_certificate_never_sees_the_log()
    {
        using var certificates = new TestCertificates();
        using var stranger = new TestCertificates("CN=Some Other CA");
        await using var cluster = new InProcessCluster("p", "r1", "r2") { Tune = o => o with { Tls = LinkTls(certificates, certificates) } };
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p", r => r with { ClusterSecret = Secret });
            var r1 = await cluster.StartAsync("r1", r => r with { ClusterSecret = Secret });
            await SetAsync(p, "k", "v");
            var end = p.GetStatus().FlushedLsn;
            await Wait.Until(() => r1.GetStatus().AppliedLsn >= end, "r1 to apply the primary's log over TLS");
            Assert.Contains(cluster.Logs.Lines, l => l.Message.Contains("TLS certificate CN=akkarepl-node-1"));

            // r2 knows the secret and trusts p's CA, but its own certificate is issued by a CA p does not trust.
            cluster.Options["r2"] = cluster.OptionsFor("r2") with { Tls = LinkTls(stranger, certificates) };
            var r2 = await cluster.StartAsync("r2", r => r with { ClusterSecret = Secret });
            await Wait.Until(() => cluster.Logs.Has(LogLevel.Warning, "its TLS client certificate was refused: client certificate CN=akkarepl-node-1 " +
                                                                     $"does not pass a check against the CAs in akkarepl.tls.peer-ca-file ({certificates.AuthorityFile})"),
                "p to log why it refused r2's certificate");
            await Wait.Until(() => r2.GetStatus().Upstream?.LastError?.Contains("TLS") == true, "r2 to report the TLS failure");
            Assert.Equal(0UL, r2.GetStatus().AppliedLsn);

            // A process with no certificate at all: the TLS handshake is refused, and not one byte of the log comes back.
            Assert.Equal(0, await BytesReceivedWithoutCertificateAsync(p.ReplicationPort));
            await Wait.Until(() => cluster.Logs.Has(LogLevel.Warning, "it presented no client certificate, and akkarepl.tls.mutual is on"),
                "p to log the missing client certificate");
            Assert.Equal(0UL, r2.GetStatus().AppliedLsn);
            Assert.Equal(0UL, p.GetStatus().Replicas.Single(r => r.NodeId == "r2").SentLsn);
        });
    }

    [Fact(Timeout = 120_000)]
    public async Task A_certificate_renewed_on_disk_is_presented_by_new_links_without_a_restart()
    {
        using var certificates = new TestCertificates();
        await using var cluster = new InProcessCluster("p", "r1") { Tune = o => o with { Tls = LinkTls(certificates, certificates) } };
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p", r => r with { ClusterSecret = Secret });
            var r1 = await cluster.StartAsync("r1", r => r with { ClusterSecret = Secret });
            Assert.Equal("CN=akkarepl-node-1", await PresentedSubjectAsync(p.ReplicationPort, certificates));

            certificates.WriteServerCertificate("CN=akkarepl-node-renewed");
            await Eventually.WaitAsync(async () => await PresentedSubjectAsync(p.ReplicationPort, certificates) == "CN=akkarepl-node-renewed",
                TimeSpan.FromSeconds(20), "p's replication port to present the renewed certificate");
            Assert.Contains(cluster.Logs.Lines, l => l.Message.Contains("TLS certificate CN=akkarepl-node-renewed"));

            // r1 (same files) restarts with the renewed certificate and streams again over a new link; p never restarted.
            r1 = await cluster.RestartAsync("r1");
            await SetAsync(p, "after-renewal", "v");
            var end = p.GetStatus().FlushedLsn;
            await Wait.Until(() => r1.GetStatus().AppliedLsn >= end, "r1 to apply over a link made with the renewed certificates");
        });
    }

    /// <summary>The subject of the certificate the node presents on its replication port, to a client with a valid certificate.</summary>
    private static async Task<string> PresentedSubjectAsync(int port, TestCertificates certificates)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        using var own = X509Certificate2.CreateFromPemFile(certificates.CertificateFile, certificates.KeyFile);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1", ClientCertificates = [own], LocalCertificateSelectionCallback = (_, _, _, _, _) => own,
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        return tls.RemoteCertificate!.Subject;
    }

    /// <summary>Connects without a client certificate, sends Hello as a member would, and counts what comes back.</summary>
    private static async Task<int> BytesReceivedWithoutCertificateAsync(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var tls = new SslStream(tcp.GetStream());
        var received = 0;
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1", RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
            var hello = new ArrayBufferWriter<byte>();
            FrameCodec.Write(hello, new HelloFrame(FrameCodec.ProtocolVersion, "akkarepl", new NodeId("r2"), new Generation(0), Lsn.Zero, [], false, false));
            await tls.WriteAsync(hello.WrittenMemory);
            var buffer = new byte[64 * 1024];
            using var cts = new CancellationTokenSource(15_000);
            int n;
            while ((n = await tls.ReadAsync(buffer, cts.Token)) > 0) received += n;
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException) { /* refused: closed */ }
        return received;
    }
}
