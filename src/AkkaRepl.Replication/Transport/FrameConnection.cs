using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using AkkaRepl.Replication.Protocol;

namespace AkkaRepl.Replication.Transport;

/// <summary>
/// One replication link over TCP: frames out through a pipe writer, frames in through a pipe reader.
/// Sending is serialized (one writer at a time) so concurrent senders never interleave bytes of two frames;
/// receiving is for one reader loop. A protocol error or a closed socket ends the link for both directions.
/// </summary>
public sealed class FrameConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly int _maxFrameBytes;

    public FrameConnection(Socket socket, int maxFrameBytes) : this(socket, new NetworkStream(socket, ownsSocket: true), maxFrameBytes)
    {
    }

    /// <summary>A link whose bytes go through <paramref name="stream"/> (TLS, say) over <paramref name="socket"/>; owns both.</summary>
    public FrameConnection(Socket socket, Stream stream, int maxFrameBytes)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _stream = stream;
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 256 * 1024, minimumReadSize: 64 * 1024));
        _writer = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024));
        _maxFrameBytes = maxFrameBytes;
        RemoteEndPoint = socket.RemoteEndPoint?.ToString() ?? "?";
    }

    public string RemoteEndPoint { get; }

    /// <summary>Connects; <paramref name="authenticate"/> (e.g. the cluster-secret exchange) runs on the socket before
    /// any frame, and its exception ends the attempt.</summary>
    public static Task<FrameConnection> ConnectAsync(EndPoint endpoint, int maxFrameBytes, CancellationToken ct,
        Func<Socket, CancellationToken, Task>? authenticate = null) =>
        ConnectAsync(endpoint, maxFrameBytes, async (socket, c) =>
        {
            if (authenticate is not null) await authenticate(socket, c).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }, ct);

    /// <summary>Connects; <paramref name="open"/> (TLS and the cluster-secret exchange: Security.LinkSecurity) turns the
    /// socket into the stream frames travel on, and its exception ends the attempt.</summary>
    public static async Task<FrameConnection> ConnectAsync(EndPoint endpoint, int maxFrameBytes,
        Func<Socket, CancellationToken, Task<Stream>> open, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endpoint, ct).ConfigureAwait(false);
            return new FrameConnection(socket, await open(socket, ct).ConfigureAwait(false), maxFrameBytes);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends one frame and flushes it to the socket.</summary>
    public async ValueTask SendAsync(Frame frame, CancellationToken ct)
    {
        await _sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            FrameCodec.Write(_writer, frame);
            var flushed = await _writer.FlushAsync(ct).ConfigureAwait(false);
            if (flushed.IsCompleted) throw new IOException($"link to {RemoteEndPoint} is closed");
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Reads the next frame; null when the peer closed the link cleanly between frames.</summary>
    public async ValueTask<Frame?> ReceiveAsync(CancellationToken ct)
    {
        while (true)
        {
            var read = await _reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = read.Buffer;
            if (FrameCodec.TryRead(ref buffer, _maxFrameBytes, out var frame))
            {
                _reader.AdvanceTo(buffer.Start);
                return frame;
            }
            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted)
            {
                if (buffer.Length == 0) return null;
                throw new ProtocolException($"link from {RemoteEndPoint} closed in the middle of a frame ({buffer.Length} bytes of it received)");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        // Closing must not throw whatever state the link died in: the caller is already handling its failure.
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception) { }
        try { await _reader.CompleteAsync().ConfigureAwait(false); } catch (Exception) { }
        try { await _writer.CompleteAsync().ConfigureAwait(false); } catch (Exception) { }
        try { await _stream.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
    }

    private int _disposed;
}
