using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Transport;
using AkkaRepl.Server.Node;
using AkkaRepl.Wal;
using AkkaRepl.Wal.Format;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Node;

/// <summary>What a node does with a peer that breaks the protocol: refuse it, close the link, write nothing.</summary>
public sealed class LinkValidationTests(ITestOutputHelper output)
{
    [Theory(Timeout = 30_000)]
    [InlineData("protocol", "protocol version 9 is not supported: node p speaks 1")]
    [InlineData("cluster", "cluster id 'other' does not match node p's cluster id 'akkarepl'")]
    [InlineData("member", "node 'stranger' is not a member of cluster 'akkarepl'")]
    public async Task A_peer_with_another_protocol_cluster_or_identity_is_refused_with_a_message_that_says_which(string what, string message)
    {
        using var dir = new TempDataDir();
        var logs = new CapturingLoggerFactory();
        await using var primary = await NodeHost.StartAsync(HandDrivenNode.Options("p", dir.Path,
            [new MemberOptions { Id = "p" }, new MemberOptions { Id = "r1" }], "p"), logs, default);
        await using var link = await FrameConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, primary.ReplicationPort), 1 << 20, default);
        var hello = what switch
        {
            "protocol" => new HelloFrame(9, "akkarepl", new NodeId("r1"), Generation.None, Lsn.Zero, []),
            "cluster" => new HelloFrame(FrameCodec.ProtocolVersion, "other", new NodeId("r1"), Generation.None, Lsn.Zero, []),
            _ => new HelloFrame(FrameCodec.ProtocolVersion, "akkarepl", new NodeId("stranger"), Generation.None, Lsn.Zero, []),
        };
        await link.SendAsync(hello, default);
        var refusal = Assert.IsType<RefuseFrame>(await link.ReceiveAsync(default));
        Assert.Equal(message, refusal.Message);
        Assert.Null(await link.ReceiveAsync(default)); // and the link is closed: not a byte of the log was sent
        Assert.True(logs.Has(Microsoft.Extensions.Logging.LogLevel.Warning, message));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_replica_closes_the_link_on_a_bad_frame_writes_none_of_it_and_resumes_from_its_flushed_position()
    {
        using var dir = new TempDataDir();
        var logs = new CapturingLoggerFactory();
        using var fake = new TcpListener(IPAddress.Loopback, 0);
        fake.Start();
        var fakePort = ((IPEndPoint)fake.LocalEndpoint).Port;
        await using var replica = await NodeHost.StartAsync(HandDrivenNode.Options("r1", dir.Path,
            [new MemberOptions { Id = "p", ReplicationPort = fakePort, HttpPort = 1 }, new MemberOptions { Id = "r1" }], "p"), logs, default);
        try
        {
            var good = WalRecordCodec.Encode(Lsn.Zero, Generation.First, 1, WalRecordKind.GenerationStart, ReadOnlySpan<byte>.Empty);
            // Each round: a handshake, then one bad frame. The replica must close and come back with a new Hello.
            var badFrames = new (string Why, Func<byte[]> Bytes)[]
            {
                ("checksum", () => { var b = FrameCodec.ToBytes(new RecordsFrame(Generation.First, Lsn.Zero, Lsn.Zero, good)); b[^1] ^= 0xFF; return b; }),
                ("contiguity", () => FrameCodec.ToBytes(new RecordsFrame(Generation.First, new Lsn(4096), Lsn.Zero, good))),
                ("size", () => { var b = new byte[16]; BinaryPrimitives.WriteUInt32LittleEndian(b, uint.MaxValue); return b; }),
                ("type", () => FrameCodec.ToBytes(new AckFrame(Generation.First, Lsn.Zero, Lsn.Zero, Lsn.Zero))),
            };
            foreach (var (why, bytes) in badFrames)
            {
                using var socket = await fake.AcceptSocketAsync();
                await using var link = new FrameConnection(socket, 1 << 20);
                var hello = Assert.IsType<HelloFrame>(await link.ReceiveAsync(default));
                Assert.Equal(Lsn.Zero, hello.FlushedLsn); // resumes from its last good position: nothing was written
                await link.SendAsync(new WelcomeFrame(FrameCodec.ProtocolVersion, "akkarepl", new NodeId("p"), Generation.First, Lsn.Zero, CatchUpMode.Stream), default);
                await socket.SendAsync(bytes());
                var buffer = new byte[256];
                int read;
                do { read = await socket.ReceiveAsync(buffer); } while (read > 0); // the replica closes the link (acks may come first)
                Assert.Equal(0UL, replica.GetStatus().FlushedLsn);
                output.WriteLine($"{why}: closed; replica says: {replica.GetStatus().Upstream?.LastError}");
            }
            // A good frame after all that is written, acked and applied.
            using (var socket = await fake.AcceptSocketAsync())
            {
                await using var link = new FrameConnection(socket, 1 << 20);
                Assert.IsType<HelloFrame>(await link.ReceiveAsync(default));
                await link.SendAsync(new WelcomeFrame(FrameCodec.ProtocolVersion, "akkarepl", new NodeId("p"), Generation.First, Lsn.Zero, CatchUpMode.Stream), default);
                await link.SendAsync(new RecordsFrame(Generation.First, Lsn.Zero, Lsn.Zero, good), default);
                AckFrame ack;
                do { ack = Assert.IsType<AckFrame>(await link.ReceiveAsync(default)); } while (ack.FlushLsn < new Lsn((ulong)good.Length));
                Assert.Equal(new Lsn((ulong)good.Length), ack.FlushLsn);
            }
            Assert.Contains(logs.Lines, l => l.Message.Contains("frame checksum mismatch"));
            Assert.Contains(logs.Lines, l => l.Message.Contains("sent records from 4096, but this log continues at 0"));
            Assert.Contains(logs.Lines, l => l.Message.Contains("is outside 1.."));
            Assert.Contains(logs.Lines, l => l.Message.Contains("sent an unexpected Ack frame on an established link"));
        }
        catch
        {
            output.WriteLine(logs.Dump());
            throw;
        }
    }
}
