using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;

namespace AkkaRepl.Testing.Network;

/// <summary>
/// One proxied TCP connection: two pumps, each a reader loop that queues chunks in order and a writer loop that
/// delivers them according to its direction's <see cref="ModeCell"/>. Only the writer loop decides when bytes go out,
/// so a mode switch never reorders or loses the bytes of a connection that stays open.
/// </summary>
internal sealed class ProxyConnection
{
    private const int ChunkBytes = 16 * 1024;

    // Bounded: when a blackholed direction fills up, the reader stops and TCP flow control pushes back on the sender.
    private const int MaxQueuedChunks = 256;

    private readonly Socket _client;
    private readonly Socket _target;
    private readonly CancellationTokenSource _stop = new();
    private int _closed;

    public ProxyConnection(Socket client, Socket target)
    {
        _client = client;
        _target = target;
    }

    public Task Completion { get; private set; } = Task.CompletedTask;

    public void Start(ModeCell toTarget, ModeCell fromTarget, Action<ProxyConnection> onClosed)
    {
        var up = PumpAsync(_client, _target, toTarget);
        var down = PumpAsync(_target, _client, fromTarget);
        Completion = Task.WhenAll(up, down).ContinueWith(
            _ =>
            {
                Close();
                onClosed(this);
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Closes both sockets with linger 0, so both peers see a reset (RST), not an orderly end.</summary>
    public void Reset()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
            return;
        _stop.Cancel();
        ResetSocket(_client);
        ResetSocket(_target);
    }

    /// <summary>Both directions ended in order: close normally so bytes still in kernel buffers are delivered.</summary>
    private void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
            return;
        _stop.Cancel();
        _client.Dispose();
        _target.Dispose();
    }

    public static void ResetSocket(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing to reset.
        }
        socket.Dispose();
    }

    private async Task PumpAsync(Socket source, Socket destination, ModeCell cell)
    {
        var queue = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(MaxQueuedChunks)
        {
            SingleReader = true,
            SingleWriter = true,
        });
        var ct = _stop.Token;
        var held = new Held(cell);
        var reader = ReadAsync(source, queue.Writer, held, ct);
        try
        {
            await foreach (var chunk in queue.Reader.ReadAllAsync(ct))
                await DeliverAsync(chunk, destination, cell, held, ct);
            // The source ended in order: pass the half-close on, so the other direction can still finish.
            destination.Shutdown(SocketShutdown.Send);
        }
        catch (Exception)
        {
            // Any failure of one direction (peer reset, Drop, dispose) ends the whole connection with a reset.
            Reset();
        }
        await reader;
        // Bytes lost to a reset are no longer held by anyone.
        held.Forget();
    }

    private async Task ReadAsync(Socket source, ChannelWriter<Chunk> queue, Held held, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                var buffer = new byte[ChunkBytes];
                var read = await source.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (read == 0)
                    break;
                held.Add(read);
                await queue.WriteAsync(new Chunk(buffer, read, Stopwatch.GetTimestamp()), ct);
            }
            queue.TryComplete();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or ChannelClosedException)
        {
            queue.TryComplete(e);
            Reset();
        }
    }

    private static async Task DeliverAsync(Chunk chunk, Socket destination, ModeCell cell, Held held, CancellationToken ct)
    {
        var offset = 0;
        while (offset < chunk.Count)
        {
            var (mode, changed) = cell.Current;
            switch (mode.Kind)
            {
                case LinkModeKind.Pass:
                    offset += await SendAsync(destination, chunk.Bytes.AsMemory(offset, chunk.Count - offset), held, ct);
                    break;

                case LinkModeKind.Blackhole:
                case LinkModeKind.Drop:
                    // Hold the bytes until the mode changes (Drop resets the connection from outside).
                    await changed.WaitAsync(ct);
                    break;

                case LinkModeKind.Delay:
                    var remaining = mode.Delay - Stopwatch.GetElapsedTime(chunk.ReadAt);
                    if (remaining > TimeSpan.Zero)
                        await WaitOrChangeAsync(remaining, changed, ct);
                    else
                        offset += await SendAsync(destination, chunk.Bytes.AsMemory(offset, chunk.Count - offset), held, ct);
                    break;

                case LinkModeKind.Throttle:
                    // Slices of about 20 ms worth of bytes keep the rate smooth and a switch quick.
                    var slice = (int)Math.Clamp(mode.BytesPerSecond / 50, 1, chunk.Count - offset);
                    var sent = await SendAsync(destination, chunk.Bytes.AsMemory(offset, slice), held, ct);
                    offset += sent;
                    await WaitOrChangeAsync(TimeSpan.FromSeconds((double)sent / mode.BytesPerSecond), changed, ct);
                    break;

                default:
                    throw new InvalidOperationException($"Unknown link mode {mode}.");
            }
        }
    }

    private static async Task<int> SendAsync(Socket destination, ReadOnlyMemory<byte> bytes, Held held, CancellationToken ct)
    {
        var sent = await destination.SendAsync(bytes, SocketFlags.None, ct);
        held.Add(-sent);
        return sent;
    }

    private static async Task WaitOrChangeAsync(TimeSpan wait, Task changed, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(wait, cts.Token);
        await Task.WhenAny(delay, changed);
        cts.Cancel();
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>This pump's share of its direction's held-bytes count, so a reset can take back what it dropped.</summary>
    private sealed class Held(ModeCell cell)
    {
        private long _local;

        public void Add(long bytes)
        {
            Interlocked.Add(ref _local, bytes);
            cell.AddHeld(bytes);
        }

        public void Forget() => Add(-Interlocked.Read(ref _local));
    }

    private readonly record struct Chunk(byte[] Bytes, int Count, long ReadAt);
}
