using System.Net;
using System.Net.Sockets;
using System.Text;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Transport;
using AkkaRepl.Server.Node;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Wal;
using AkkaRepl.Wal.Format;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Node;

/// <summary>What a replica acknowledges, seen from a fake primary on the other end of its link.</summary>
public sealed class ReplicaAckTests(ITestOutputHelper output)
{
    /// <summary>
    /// Frames sent back to back, so the replica's appends overlap its flushes: every ack that reports a flushed
    /// position reports it applied too. The replica used to ack a flush as soon as the WAL published it and the apply
    /// in a second ack once the append's task had completed: ~1.5 acks per flush under load, each a wake-up on both
    /// nodes, and an applied position (applied-k writes, read-your-writes, the lag) one ack behind.
    /// </summary>
    [Fact(Timeout = 30_000)]
    public async Task Every_ack_of_frames_sent_back_to_back_reports_its_flushed_position_applied()
    {
        using var dir = new TempDataDir();
        var logs = new CapturingLoggerFactory();
        using var fake = new TcpListener(IPAddress.Loopback, 0);
        fake.Start();
        var fakePort = ((IPEndPoint)fake.LocalEndpoint).Port;
        await using var replica = await NodeHost.StartAsync(HandDrivenNode.Options("r1", dir.Path,
            [new MemberOptions { Id = "p", ReplicationPort = fakePort, HttpPort = 1 }, new MemberOptions { Id = "r1" }], "p"), logs, default);
        using var socket = await fake.AcceptSocketAsync();
        await using var link = new FrameConnection(socket, 1 << 20);
        Assert.IsType<HelloFrame>(await link.ReceiveAsync(default));
        await link.SendAsync(new WelcomeFrame(FrameCodec.ProtocolVersion, "akkarepl", new NodeId("p"), Generation.First, Lsn.Zero, CatchUpMode.Stream), default);

        // The generation's first record, then 2,000 SETs, one frame each, none waiting for an ack.
        var end = Lsn.Zero;
        byte[] Record(WalRecordKind kind, byte[] payload)
        {
            var bytes = WalRecordCodec.Encode(end, Generation.First, 1, kind, payload);
            end += (ulong)bytes.Length;
            return bytes;
        }
        var frames = new List<RecordsFrame> { new(Generation.First, Lsn.Zero, Lsn.Zero, Record(WalRecordKind.GenerationStart, [])) };
        for (var i = 0; i < 2000; i++)
        {
            var start = end;
            var set = KvStore.EncodeCommand([Encoding.UTF8.GetBytes("SET"), Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes($"v{i}")]);
            frames.Add(new RecordsFrame(Generation.First, start, Lsn.Zero, Record(WalRecordKind.Command, set)));
        }
        // One send at a time, so frames keep arriving while earlier ones are being flushed.
        var sending = Task.Run(async () =>
        {
            foreach (var frame in frames)
            {
                await link.SendAsync(frame, default);
                await Task.Yield();
            }
        });

        var acks = new List<AckFrame>();
        try
        {
            while (acks.Count == 0 || acks[^1].FlushLsn < end)
            {
                var ack = Assert.IsType<AckFrame>(await link.ReceiveAsync(default));
                // G4: a flush is acked only once it is durable on the replica (its WAL's flushed position only grows).
                Assert.True(ack.FlushLsn.Value <= replica.GetStatus().FlushedLsn, $"ack of flush {ack.FlushLsn} past the replica's WAL");
                acks.Add(ack);
            }
            await sending;
            var flushOnly = acks.Where(a => a.ApplyLsn < a.FlushLsn).ToList();
            Assert.True(flushOnly.Count == 0,
                $"{flushOnly.Count} of {acks.Count} acks report a flush not yet applied, e.g. flush {flushOnly.FirstOrDefault()?.FlushLsn}, apply {flushOnly.FirstOrDefault()?.ApplyLsn}");
            Assert.Equal(end.Value, replica.GetStatus().AppliedLsn);
            output.WriteLine($"{acks.Count} acks for {frames.Count} frames");
        }
        catch
        {
            output.WriteLine(logs.Dump());
            throw;
        }
    }
}
