using System.Threading.Channels;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Transport;
using AkkaRepl.Storage.Snapshots;
using AkkaRepl.Storage.StateMachine;

namespace AkkaRepl.Replication.Replica;

/// <summary>
/// A snapshot arriving from the upstream (after SnapshotBegin), received once and used twice as it arrives: each
/// chunk is written to the snapshot file that will become this node's snapshot (<see cref="SnapshotInstall"/>) and
/// handed to a restore of a fresh state machine running on its own thread, so receiving, writing and restoring
/// overlap instead of following one another.
/// <para>Invariant: nothing of it is used before it was checked whole. <see cref="ReceiveAsync"/> returns only when
/// SnapshotEnd came with the announced length and the checksum of the bytes received, the restore read exactly those
/// bytes and ended at the announced LSN, and the file was sealed (flushed). Until the caller adopts the fresh state
/// machine and installs the file, the node's live state and log are untouched; a link that drops, a bad chunk, a bad
/// checksum or a failed restore throws, the restore is abandoned, and the caller deletes the file (Dispose).</para>
/// </summary>
public sealed class IncomingSnapshot
{
    private const int Buffered = 8; // chunks (1 MiB each from the primary) between the receive loop and the restore
    private readonly FrameConnection _link;
    private readonly NodeId _upstream;
    private readonly TimeSpan _idle;
    private readonly Action<long>? _received;

    internal IncomingSnapshot(FrameConnection link, SnapshotBeginFrame begin, NodeId upstream, TimeSpan idle, Action<long>? received)
    {
        _link = link;
        Begin = begin;
        _upstream = upstream;
        _idle = idle;
        _received = received;
    }

    public SnapshotBeginFrame Begin { get; }

    /// <summary>
    /// Receives the rest of the snapshot into <paramref name="file"/> and restores <paramref name="target"/> (a fresh
    /// state machine nobody reads yet) from it as it arrives; returns the restored LSN once everything was checked.
    /// </summary>
    /// <exception cref="ProtocolException">The transfer was cut, out of order, of the wrong length or checksum.</exception>
    /// <exception cref="StorageCorruptException">The image itself did not restore to the announced LSN.</exception>
    public async Task<Lsn> ReceiveAsync(SnapshotInstall file, IStateMachine target, CancellationToken ct)
    {
        var chunks = Channel.CreateBounded<SnapshotChunkFrame>(new BoundedChannelOptions(Buffered) { SingleReader = true, SingleWriter = true });
        var restore = Task.Factory.StartNew(() => Restore(chunks, target), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default); // blocks on the channel: its own thread
        try
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
            while (true)
            {
                idle.CancelAfter(_idle); // a stalled transfer ends the link, not the node
                var frame = await _link.ReceiveAsync(idle.Token).ConfigureAwait(false);
                if (frame is SnapshotEndFrame end)
                {
                    if (file.BodyBytes != Begin.TotalBytes)
                        throw new ProtocolException($"snapshot from {_upstream} ended after {file.BodyBytes} bytes; {Begin.TotalBytes} were announced");
                    if (end.Crc32C != file.Crc)
                        throw new ProtocolException($"snapshot from {_upstream} has checksum 0x{file.Crc:x8}; the sender's is 0x{end.Crc32C:x8}");
                    break;
                }
                if (frame is not SnapshotChunkFrame chunk)
                    throw new ProtocolException($"upstream {_upstream} sent {frame?.Type.ToString() ?? "end of stream"} in the middle of a snapshot");
                if (chunk.Offset != file.BodyBytes)
                    throw new ProtocolException($"snapshot chunk from {_upstream} at offset {chunk.Offset}; expected {file.BodyBytes}");
                if (file.BodyBytes + chunk.Bytes.Length > Begin.TotalBytes)
                    throw new ProtocolException($"snapshot from {_upstream} runs past the {Begin.TotalBytes} bytes announced");
                file.Write(chunk.Bytes.Span);
                _received?.Invoke(file.BodyBytes);
                try { await chunks.Writer.WriteAsync(chunk, idle.Token).ConfigureAwait(false); } // the restore returns its buffer
                catch (ChannelClosedException)
                {
                    chunk.Release();
                    await restore.ConfigureAwait(false); // it stopped early: its error says why
                    throw new StorageCorruptException($"the snapshot image from {_upstream} ended before the {Begin.TotalBytes} bytes announced");
                }
            }
            chunks.Writer.TryComplete();
            var restored = await restore.ConfigureAwait(false);
            if (restored != Begin.SnapshotLsn)
                throw new StorageCorruptException($"the received snapshot holds LSN {restored}, not the announced {Begin.SnapshotLsn}");
            file.Seal();
            return restored;
        }
        catch (Exception ex)
        {
            chunks.Writer.TryComplete(ex);
            try { await restore.ConfigureAwait(false); } catch (Exception) { /* abandoned with the transfer */ }
            throw;
        }
    }

    /// <summary>Restores <paramref name="target"/> from the chunks as they come, then checks that the image used them all.</summary>
    private static Lsn Restore(Channel<SnapshotChunkFrame> chunks, IStateMachine target)
    {
        using var body = new ChunkReadStream(chunks.Reader);
        try
        {
            using var buffered = new BufferedStream(body, 1 << 16); // images read many small fields
            var lsn = target.Restore(buffered);
            Span<byte> probe = stackalloc byte[1];
            if (buffered.Read(probe) != 0) // waits for SnapshotEnd (or the transfer's failure)
                throw new StorageCorruptException("the received snapshot has bytes after the end of its image");
            return lsn;
        }
        finally
        {
            chunks.Writer.TryComplete(); // a restore that stopped early must not leave the receive loop waiting
            while (chunks.Reader.TryRead(out var left)) left.Release();
        }
    }

    /// <summary>The chunks' bytes in order, as a read-only stream; end of stream when the channel completes.</summary>
    private sealed class ChunkReadStream(ChannelReader<SnapshotChunkFrame> chunks) : Stream
    {
        private SnapshotChunkFrame? _current;
        private int _at;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty) return 0;
            while (_current is null || _at == _current.Bytes.Length)
            {
                _current?.Release();
                _current = null;
                _at = 0;
                while (!chunks.TryRead(out _current))
                {
                    // Completed with an error (the transfer failed): that error, not a short image, is what the restore reports.
                    if (!chunks.WaitToReadAsync().AsTask().GetAwaiter().GetResult()) return 0;
                }
            }
            var n = Math.Min(buffer.Length, _current.Bytes.Length - _at);
            _current.Bytes.Span.Slice(_at, n).CopyTo(buffer);
            _at += n;
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            _current?.Release();
            _current = null;
            base.Dispose(disposing);
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
