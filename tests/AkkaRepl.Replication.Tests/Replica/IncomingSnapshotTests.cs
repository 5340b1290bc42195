using System.Net;
using System.Net.Sockets;
using System.Text;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Io;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Replica;
using AkkaRepl.Replication.Transport;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Storage.Snapshots;
using AkkaRepl.Storage.StateMachine;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace AkkaRepl.Replication.Tests.Replica;

/// <summary>
/// A snapshot streamed into a replica is written once into the snapshot directory and restored while it arrives;
/// nothing of it may be used, or left looking like a snapshot, unless all of it arrived and checked out.
/// </summary>
public sealed class IncomingSnapshotTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "akkarepl-incoming-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private SnapshotStore NewStore() => new(_dir, new SnapshotOptions { Retain = 2 }, NullLogger<SnapshotStore>.Instance);

    /// <summary>A store with <paramref name="keys"/> values of random sizes (seeded), applied as the applier would.</summary>
    private KvStore Filled(int seed, int keys, ulong firstLsn = 0)
    {
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var store = new KvStore();
        var lsn = new Lsn(firstLsn);
        for (var i = 0; i < keys; i++)
        {
            var value = new byte[random.Next(1, 40_000)];
            random.NextBytes(value);
            var payload = KvStore.EncodeCommand(["SET"u8.ToArray(), Encoding.UTF8.GetBytes($"key{i}"), value]);
            var entry = new CommittedEntry(Generation.First, lsn, lsn + (ulong)(payload.Length + 32), 0, payload);
            store.Apply(entry);
            lsn = entry.EndLsn;
        }
        return store;
    }

    private static byte[] Image(IStateMachine state)
    {
        using var bytes = new MemoryStream();
        state.CaptureImage().WriteTo(bytes);
        return bytes.ToArray();
    }

    private static async Task<(FrameConnection Sender, FrameConnection Receiver)> LinkAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var connect = FrameConnection.ConnectAsync(listener.LocalEndpoint, 4 << 20, CancellationToken.None);
        var accepted = await listener.AcceptSocketAsync();
        return (await connect, new FrameConnection(accepted, 4 << 20));
    }

    /// <summary>What a primary sends after Welcome(Rebuild), with the faults to inject.</summary>
    private static async Task SendAsync(FrameConnection link, byte[] image, Lsn lsn, int chunkBytes,
        int? cutAfterChunks = null, uint crcFlip = 0)
    {
        var begin = new SnapshotBeginFrame(Generation.First, lsn, image.Length, [new GenerationStart(Generation.First, Lsn.Zero)]);
        await link.SendAsync(begin, CancellationToken.None);
        var crc = 0u;
        var sent = 0;
        for (var offset = 0; offset < image.Length; offset += chunkBytes, sent++)
        {
            if (sent == cutAfterChunks)
            {
                await link.DisposeAsync(); // the link drops (or the primary is killed) in the middle of the transfer
                return;
            }
            var chunk = image.AsMemory(offset, Math.Min(chunkBytes, image.Length - offset));
            crc = Crc32C.Append(crc, chunk.Span);
            await link.SendAsync(new SnapshotChunkFrame(offset, chunk), CancellationToken.None);
        }
        await link.SendAsync(new SnapshotEndFrame(crc ^ crcFlip), CancellationToken.None);
    }

    /// <summary>Receives what <paramref name="send"/> sends into a fresh store and the snapshot directory.</summary>
    private static async Task<(Task<Lsn> Received, SnapshotInstall File, KvStore Target)> ReceiveAsync(
        FrameConnection link, SnapshotStore store, Lsn lsn)
    {
        if (await link.ReceiveAsync(CancellationToken.None) is not SnapshotBeginFrame begin) throw new InvalidOperationException("no SnapshotBegin");
        var incoming = new IncomingSnapshot(link, begin, new NodeId("p"), TimeSpan.FromSeconds(20), null);
        var file = store.BeginInstall(lsn);
        var target = new KvStore();
        return (incoming.ReceiveAsync(file, target, CancellationToken.None), file, target);
    }

    private string[] FilesHere() => Directory.GetFiles(_dir).Select(Path.GetFileName).Order().ToArray()!;

    [Fact(Timeout = 60_000)]
    public async Task A_streamed_snapshot_is_restored_as_it_arrives_and_the_file_it_was_written_to_becomes_the_snapshot()
    {
        var source = Filled(Environment.TickCount, 400);
        var image = Image(source);
        var old = NewStore().Write(Filled(7, 3).CaptureImage());
        var (sender, receiver) = await LinkAsync();
        await using (sender)
        await using (receiver)
        {
            var store = NewStore();
            var send = SendAsync(sender, image, source.AppliedLsn, 1 << 20);
            var (received, file, target) = await ReceiveAsync(receiver, store, source.AppliedLsn);
            using (file)
            {
                Assert.Equal(source.AppliedLsn, await received);
                await send;
                Assert.Equal(image, Image(target));
                Assert.Equal(image.Length, file.BodyBytes);
                store.Install(file);
            }
            Assert.Equal([$"snapshot-{source.AppliedLsn.Value:D20}.snap"], FilesHere()); // the old one gave way
            Assert.NotEqual(old.Lsn, source.AppliedLsn);
            var reloaded = new KvStore();
            Assert.Equal(source.AppliedLsn, NewStore().LoadLatest(reloaded)); // header and checksum as the store writes them
            Assert.Equal(image, Image(reloaded));
        }
    }

    [Theory(Timeout = 60_000)]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(9)]
    public async Task A_transfer_cut_midway_fails_the_receive_and_leaves_only_the_old_snapshot(int chunksBeforeTheCut)
    {
        var source = Filled(Environment.TickCount, 300, firstLsn: 1_000_000);
        var image = Image(source);
        var old = NewStore().Write(Filled(11, 5).CaptureImage());
        var (sender, receiver) = await LinkAsync();
        await using (sender)
        await using (receiver)
        {
            var store = NewStore();
            var send = SendAsync(sender, image, source.AppliedLsn, 512 * 1024, cutAfterChunks: chunksBeforeTheCut);
            var (received, file, _) = await ReceiveAsync(receiver, store, source.AppliedLsn);
            using (file)
            {
                var error = await Assert.ThrowsAnyAsync<Exception>(() => received);
                output.WriteLine($"{error.GetType().Name}: {error.Message}");
                Assert.True(error is ProtocolException or IOException, $"a cut link fails the transfer, not the node: {error}");
                await send;
                Assert.Throws<InvalidOperationException>(() => store.Install(file)); // never sealed: cannot become a snapshot
            }
            Assert.Equal([Path.GetFileName(old.Path)], FilesHere()); // the temp file went with it
            var reloaded = new KvStore();
            Assert.Equal(old.Lsn, NewStore().LoadLatest(reloaded));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_replica_killed_while_receiving_restarts_on_its_old_snapshot()
    {
        var old = NewStore().Write(Filled(13, 5).CaptureImage());
        var store = NewStore();
        var file = store.BeginInstall(new Lsn(99_000_000));
        file.Write(new byte[3 << 20]); // part of a transfer, then kill -9: nothing else runs
        Assert.Equal(2, FilesHere().Length);

        var restarted = NewStore(); // the next start
        Assert.Equal([Path.GetFileName(old.Path)], FilesHere());
        Assert.Equal(old.Lsn, restarted.LoadLatest(new KvStore()));
        file.Dispose();
        await Task.CompletedTask;
    }

    [Fact(Timeout = 60_000)]
    public async Task A_snapshot_with_the_wrong_checksum_is_not_used()
    {
        var source = Filled(Environment.TickCount, 100);
        var image = Image(source);
        var (sender, receiver) = await LinkAsync();
        await using (sender)
        await using (receiver)
        {
            var store = NewStore();
            var send = SendAsync(sender, image, source.AppliedLsn, 256 * 1024, crcFlip: 1);
            var (received, file, _) = await ReceiveAsync(receiver, store, source.AppliedLsn);
            using (file)
            {
                var error = await Assert.ThrowsAsync<ProtocolException>(() => received);
                Assert.Contains("checksum", error.Message);
                await send;
                Assert.Throws<InvalidOperationException>(() => store.Install(file));
            }
            Assert.Empty(FilesHere());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task An_image_the_restore_rejects_early_fails_the_receive_without_stalling_the_link()
    {
        var source = Filled(Environment.TickCount, 200);
        var image = Image(source);
        image[0] ^= 0xFF; // the image's format version: the restore gives up at the first byte, the transfer goes on
        var (sender, receiver) = await LinkAsync();
        await using (sender)
        await using (receiver)
        {
            var store = NewStore();
            var send = SendAsync(sender, image, source.AppliedLsn, 64 * 1024);
            var (received, file, _) = await ReceiveAsync(receiver, store, source.AppliedLsn);
            using (file)
            {
                var error = await Assert.ThrowsAsync<StorageCorruptException>(() => received);
                Assert.Contains("format version", error.Message);
                await receiver.DisposeAsync(); // the link is dropped on failure; the sender may then see it closed
                try { await send; } catch (IOException) { }
            }
            Assert.Empty(FilesHere());
        }
    }
}
