using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using AkkaRepl.Client.Resp;
using AkkaRepl.Core.Options;

using AkkaRepl.Core.Security;
using AkkaRepl.Server.Security;
using AkkaRepl.Server.Tests.Node;
using AkkaRepl.Testing.Security;
using AkkaRepl.Server.Tests.Resp;
using Microsoft.Extensions.Logging;
using RespConnection = AkkaRepl.Client.Resp.RespConnection;
using RespServer = AkkaRepl.Server.Resp.RespServer;

namespace AkkaRepl.Server.Tests.Security;

public class RespTlsTests
{
    private static async Task<(RespServer Server, InMemoryKvBackend Backend)> StartTlsAsync(TestCertificates certificates,
        RespAuthenticator? authenticator = null, TimeSpan? reloadCheck = null)
    {
        var tls = new TlsOptions
        {
            CertificateFile = certificates.CertificateFile, KeyFile = certificates.KeyFile, Resp = true,
            ReloadCheckInterval = reloadCheck ?? TimeSpan.FromSeconds(5),
        };
        var logs = new CapturingLoggerFactory();
        var backend = new InMemoryKvBackend();
        var server = new RespServer(backend, new RespOptions(), logs.CreateLogger<RespServer>(), authenticator,
            new TlsStreams(new CertificateReloader(tls, logs.CreateLogger("tls"))));
        await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), CancellationToken.None);
        return (server, backend);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_dotnet_client_round_trips_over_tls_with_auth_and_a_plain_client_gets_nothing()
    {
        using var certificates = new TestCertificates();
        var (server, backend) = await StartTlsAsync(certificates, TestUsers.Authenticator());
        await using var backendScope = backend;
        try
        {
            var options = new RespConnectionOptions { Tls = true, TrustedAuthority = certificates.Authority, User = "writer", Password = "writer-pass" };
            await using (var client = await RespConnection.ConnectAsync("127.0.0.1", server.BoundPort, options))
            {
                Assert.Equal("OK", (await client.ExecuteAsync(default, "SET", "k", "over tls")).AsString());
                Assert.Equal("over tls", (await client.ExecuteAsync(default, "GET", "k")).AsString());
            }
            var refused = await Assert.ThrowsAsync<RespAuthenticationException>(() =>
                RespConnection.ConnectAsync("127.0.0.1", server.BoundPort, options with { Password = "wrong" }));
            Assert.EndsWith("refused AUTH: WRONGPASS invalid username-password pair or user is disabled.", refused.Message);

            // A client that speaks plain RESP to the TLS port is not answered in clear.
            await using var plain = await RawRespClient.ConnectAsync(server.BoundPort);
            await plain.SendAsync(RawRespClient.Command("GET", "k"));
            Assert.True(await plain.IsClosedByServerAsync());
        }
        finally { await server.DisposeAsync(); }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_renewed_certificate_is_served_to_new_connections_without_a_restart()
    {
        using var certificates = new TestCertificates();
        var (server, backend) = await StartTlsAsync(certificates, reloadCheck: TimeSpan.FromMilliseconds(100));
        await using var backendScope = backend;
        try
        {
            Assert.Equal("CN=akkarepl-node-1", (await PresentedAsync(server.BoundPort, certificates)).Subject);
            certificates.WriteServerCertificate("CN=akkarepl-node-1-renewed");
            await Wait.Until(() => PresentedAsync(server.BoundPort, certificates).GetAwaiter().GetResult().Subject == "CN=akkarepl-node-1-renewed",
                "the renewed certificate to be presented");
        }
        finally { await server.DisposeAsync(); }
    }

    [Fact(Timeout = 60_000)]
    public async Task Redis_cli_with_tls_sets_and_gets()
    {
        if (!RedisCli.Available(out var skipReason))
        {
            Assert.True(Environment.GetEnvironmentVariable("CI") != "true", "CI=true but " + skipReason);
            return; // not under CI: redis-cli is optional on a developer machine
        }
        using var certificates = new TestCertificates();
        var (server, backend) = await StartTlsAsync(certificates);
        await using var backendScope = backend;
        try
        {
            var args = $"--tls --cacert {certificates.AuthorityFile} -h 127.0.0.1 -p {server.BoundPort}";
            Assert.Equal("OK", await RedisCli.RunAsync($"{args} SET greeting hello-tls"));
            Assert.Equal("hello-tls", await RedisCli.RunAsync($"{args} GET greeting"));
        }
        finally { await server.DisposeAsync(); }
    }

    private static async Task<X509Certificate2> PresentedAsync(int port, TestCertificates certificates)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(certificates.Authority);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", CertificateChainPolicy = policy });
        return X509CertificateLoader.LoadCertificate(tls.RemoteCertificate!.GetRawCertData());
    }
}

/// <summary>Runs redis-cli, when installed.</summary>
internal static class RedisCli
{
    public static bool Available(out string reason)
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, "redis-cli")));
        reason = found ? "" : "redis-cli is not installed (.ci/run installs redis-tools)";
        return found;
    }

    public static async Task<string> RunAsync(string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("redis-cli", arguments)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        using var cts = new CancellationTokenSource(20_000);
        var output = await process.StandardOutput.ReadToEndAsync(cts.Token);
        var error = await process.StandardError.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);
        Assert.True(process.ExitCode == 0, $"redis-cli {arguments} exited {process.ExitCode}: {error}");
        return output.Trim();
    }
}
