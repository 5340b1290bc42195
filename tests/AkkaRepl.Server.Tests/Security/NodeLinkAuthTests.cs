using System.Buffers;
using System.Net;
using System.Net.Sockets;
using AkkaRepl.Client.Resp;
using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Server.Tests.Node;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Security;

public class NodeLinkAuthTests(ITestOutputHelper output)
{
    private const string Secret = "the-cluster-secret-of-this-test";

    [Fact(Timeout = 90_000)]
    public async Task Members_with_the_secret_replicate_and_a_non_member_with_a_raw_socket_never_sees_a_byte()
    {
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p", r => r with { ClusterSecret = Secret });
            var r1 = await cluster.StartAsync("r1", r => r with { ClusterSecret = Secret });
            await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort))
                Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", "k", "v")).AsString());
            var end = p.GetStatus().FlushedLsn;
            await Wait.Until(() => r1.GetStatus().AppliedLsn >= end, "r1 (with the secret) to apply the primary's log");

            // A process that is not a member speaks the replication protocol directly: Hello as a member would send it.
            using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await raw.ConnectAsync(new IPEndPoint(IPAddress.Loopback, p.ReplicationPort));
            var hello = new ArrayBufferWriter<byte>();
            FrameCodec.Write(hello, new HelloFrame(FrameCodec.ProtocolVersion, "akkarepl", new NodeId("r2"), new Generation(0), Lsn.Zero, [], false, false));
            await raw.SendAsync(hello.WrittenMemory, SocketFlags.None);
            var received = 0;
            var buffer = new byte[64 * 1024];
            using (var cts = new CancellationTokenSource(15_000))
            {
                try
                {
                    int n;
                    while ((n = await raw.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0) received += n;
                }
                catch (SocketException) { /* reset: closed */ }
            }
            Assert.Equal(0, received);
            await Wait.Until(() => cluster.Logs.Has(LogLevel.Warning, "Refused unauthenticated replication link from 127.0.0.1:")
                                   && cluster.Logs.Has(LogLevel.Warning, "it did not authenticate (is akkarepl.replication.cluster-secret set on that node?)"),
                "the refusal to be logged");

            // A member with a wrong secret is refused too, and says why in its status.
            var r2 = await cluster.StartAsync("r2", r => r with { ClusterSecret = "a-different-secret-entirely" });
            await Wait.Until(() => r2.GetStatus().Upstream?.LastError?.Contains("failed to prove the cluster secret") == true,
                "r2 to report the secret mismatch");
            Assert.Equal(0UL, r2.GetStatus().AppliedLsn);
            var seenByPrimary = p.GetStatus().Replicas.Single(r => r.NodeId == "r2");
            Assert.Equal(("disconnected", 0UL), (seenByPrimary.State, seenByPrimary.SentLsn));
        });
    }
}
