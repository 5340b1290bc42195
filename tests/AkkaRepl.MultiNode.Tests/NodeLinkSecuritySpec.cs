using System.Buffers;
using System.Net;
using System.Net.Sockets;
using AkkaRepl.Replication.Cluster.Election;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Security;
using AkkaRepl.Testing.Cluster;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Resp;
using AkkaRepl.Testing.Security;
using AkkaRepl.Testing.Waits;
using Xunit.Abstractions;

namespace AkkaRepl.MultiNode.Tests;

/// <summary>
/// Node links between real processes (issue 10): with TLS, mutual TLS and the cluster secret the cluster replicates and
/// fails over; on the control (election) lane a process without the secret can neither vote, pre-vote nor send a
/// heartbeat, and changes no member's generation or vote.
/// </summary>
public sealed class NodeLinkSecuritySpec(ITestOutputHelper output)
{
    private static readonly Role P = new("p"), R1 = new("r1"), R2 = new("r2");
    private static readonly Role[] All = [P, R1, R2];
    private const string Secret = "multinode-spec-cluster-secret-0123";

    [Fact(Timeout = 120_000)]
    public async Task A_cluster_with_mutual_tls_and_a_cluster_secret_replicates_and_fails_over()
    {
        using var certificates = new TestCertificates();
        await using var cluster = new ReplicationCluster(nameof(A_cluster_with_mutual_tls_and_a_cluster_secret_replicates_and_fails_over), output, All, P,
            $"akkarepl.tls {{ certificate-file = \"{certificates.CertificateFile}\", key-file = \"{certificates.KeyFile}\", " +
            $"replication = on, mutual = on, peer-ca-file = \"{certificates.AuthorityFile}\" }}",
            $"akkarepl.replication.cluster-secret = \"{Secret}\"");
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAllAsync(ct);
            var before = await cluster.WaitForPrimaryAsync(P, 1, ct);
            await using (var client = await cluster.ConnectAsync(P, ct))
                for (var i = 0; i < 20; i++) Assert.Equal(RespValue.Ok, await client.SendAsync(["SET", $"k{i}", $"before-{i}"], ct));
            await cluster.WaitForConvergenceAsync(P, ct);
            cluster.Checkpoint("replicated-over-tls");

            await cluster.KillAsync(P);
            cluster.Checkpoint("primary-killed");
            var next = await Eventually.WaitAsync(async () =>
            {
                foreach (var role in new[] { R1, R2 })
                {
                    try
                    {
                        var s = await cluster.StatusAsync(role, ct);
                        if (s.Role == "primary" && s.Generation > before.Generation && s.Bool("acceptsWrites")) return role;
                    }
                    catch (HttpRequestException) { /* not answering yet */ }
                }
                return null;
            }, r => r is not null, TimeSpan.FromSeconds(30), "r1 or r2 to win an election over TLS control lanes", ct);
            cluster.Checkpoint($"{next}-elected");
            await using (var client = await cluster.ConnectAsync(next!, ct))
                Assert.Equal(RespValue.Ok, await client.SendAsync(["SET", "after", "failover"], ct));

            await cluster.RestartAsync(P, ct);
            await cluster.WaitForReplicaOfAsync(P, next!, ct);
            await cluster.WaitForConvergenceAsync(next!, ct);
            await using (var old = await cluster.ConnectAsync(P, ct))
            {
                Assert.Equal("before-7", (await old.SendAsync(["GET", "k7"], ct)).AsString());
                Assert.Equal("failover", (await old.SendAsync(["GET", "after"], ct)).AsString());
            }
            Assert.True(cluster[P].Log.Contains("TLS certificate CN=akkarepl-node-1"), "the node loaded its certificate for the links");
        }, TimeSpan.FromSeconds(110));
    }

    [Fact(Timeout = 90_000)]
    public async Task A_process_without_the_cluster_secret_cannot_vote_pre_vote_or_heartbeat_on_the_control_lane()
    {
        await using var cluster = new ReplicationCluster(nameof(A_process_without_the_cluster_secret_cannot_vote_pre_vote_or_heartbeat_on_the_control_lane),
            output, All, P, $"akkarepl.replication.cluster-secret = \"{Secret}\"");
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAllAsync(ct);
            var before = await cluster.WaitForPrimaryAsync(P, 1, ct);
            await cluster.WaitForConvergenceAsync(P, ct);
            const ulong Huge = 1000;
            ControlMessage[] attack =
            [
                new PreVoteRequest("r1", Huge, new LogPosition(Huge, ulong.MaxValue / 2), 100, 1),
                new VoteRequest("r1", Huge, new LogPosition(Huge, ulong.MaxValue / 2), 0, Transfer: true),
                new Heartbeat("r1", Huge, true, new LogPosition(Huge, ulong.MaxValue / 2), 0),
                new TimeoutNow("p", Huge),
            ];
            var votes = All.ToDictionary(r => r, r => VoteFile(cluster, r));

            foreach (var role in All)
            {
                const string Refused = "Refused unauthenticated replication link from";
                var refusedBefore = cluster[role].Log.Snapshot().Count(l => l.Text.Contains(Refused));
                // 1. No authentication at all: control frames straight away.
                Assert.Empty(await SendAndReadRepliesAsync(cluster[role].Endpoints.Repl, null, attack, ct));
                // 2. The exchange with a wrong secret, then the frames anyway: at most the one-byte refusal comes back.
                var replies = await SendAndReadRepliesAsync(cluster[role].Endpoints.Repl, "a-wrong-secret-0123456789abcdef", attack, ct);
                Assert.True(replies is [] or [0], $"{role} answered a non-member with {replies.Count} bytes");
                await Eventually.WaitAsync(() => cluster[role].Log.Snapshot().Count(l => l.Text.Contains(Refused)) >= refusedBefore + 2,
                    TimeSpan.FromSeconds(15), $"{role} to refuse both attempts", ct);
            }
            cluster.Checkpoint("attacks-refused");

            // Nothing moved: same primary, same generation everywhere, the saved votes unchanged.
            foreach (var role in All)
            {
                var s = await cluster.StatusAsync(role, ct);
                Assert.Equal(before.Generation, s.Generation);
                Assert.Equal(role == P ? "primary" : "replica", s.Role);
                Assert.Equal(votes[role], VoteFile(cluster, role));
            }
            Assert.Contains("wrong cluster secret", cluster[R1].Log.ToString());

            // The control: the same messages with the right secret (after the lane's hello) do reach the election, so the
            // refusals above mattered.
            await SendAndReadRepliesAsync(cluster[R2].Endpoints.Repl, Secret,
                [new ControlHello("r1", FrameCodec.ProtocolVersion, "multinode-spec"), .. attack[..2]], ct);
            await cluster.WaitForGenerationAsync(R2, (long)Huge, ct);
        }, TimeSpan.FromSeconds(85));
    }

    private static string? VoteFile(ReplicationCluster cluster, Role role)
    {
        var path = Path.Combine(cluster.Fixture.DataDirectoryFor(role), "vote.json");
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    /// <summary>Opens a link to a node's replication port (proving <paramref name="secret"/> when given), sends the
    /// messages as control frames, and returns the bytes that come back after the secret exchange.</summary>
    private static async Task<List<byte>> SendAndReadRepliesAsync(int port, string? secret, ControlMessage[] messages, CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        if (secret is not null)
        {
            try { await LinkAuthentication.ConnectAsync(stream, secret, "the node", ct); }
            catch (ProtocolException) when (secret != Secret) { /* refused, as it should be: try the frames anyway */ }
        }
        var frames = new ArrayBufferWriter<byte>();
        foreach (var message in messages) FrameCodec.Write(frames, new ControlFrame(ControlMessageCodec.Encode(message)));
        try { await stream.WriteAsync(frames.WrittenMemory, ct); }
        catch (IOException) { return []; } // already closed
        var received = new List<byte>();
        if (secret == Secret) return received;
        var buffer = new byte[4096];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, timeout.Token)) > 0) received.AddRange(buffer.AsSpan(0, n));
        }
        catch (IOException) { /* reset: closed */ }
        return received;
    }
}
