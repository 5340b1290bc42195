using System.Net;
using System.Net.Sockets;
using AkkaRepl.Server.Resp.Loop;
using AkkaRepl.Testing.Specs;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Server.Tests.Resp.Loop;

/// <summary>The RESP event loop's socket stream and its gate, over real loopback sockets. What the loop completes is
/// awaited through <see cref="LoopTestExtensions.OffLoop(Task)"/>: the test must not go on on the loop's thread, where
/// a blocking wait would stop the loop.</summary>
public sealed class RespEventLoopTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [LinuxFact(x64: true, Timeout = 30_000)]
    public async Task A_read_waits_for_data_and_completes_on_the_loop_thread()
    {
        using var loop = NewLoop();
        await using var pair = await Pair.OpenAsync(loop);
        var buffer = new byte[64];
        var onLoop = false;
        async Task<int> ReadAsync()
        {
            var n = await pair.Stream.ReadAsync(buffer).ConfigureAwait(false); // as the RESP connection awaits
            onLoop = RespEventLoop.OnLoopThread;
            return n;
        }
        var read = ReadAsync();
        Assert.False(read.IsCompleted);
        pair.Client.Send("PING\r\n"u8);
        Assert.Equal(6, await read.OffLoop());
        Assert.Equal("PING\r\n"u8.ToArray(), buffer[..6]);
        Assert.True(onLoop, "the continuation did not run on the loop's thread");
    }

    [LinuxFact(x64: true, Timeout = 30_000)]
    public async Task Data_sent_before_the_read_is_returned_and_the_end_of_the_stream_reads_as_zero()
    {
        using var loop = NewLoop();
        await using var pair = await Pair.OpenAsync(loop);
        pair.Client.Send("hello"u8);
        pair.Client.Shutdown(SocketShutdown.Send);
        var buffer = new byte[64];
        var received = 0;
        while (true)
        {
            var n = await pair.Stream.ReadAsync(buffer.AsMemory(received)).AsTask().OffLoop();
            if (n == 0) break;
            received += n;
        }
        Assert.Equal("hello"u8.ToArray(), buffer[..received]);
    }

    [LinuxFact(x64: true, Timeout = 60_000)]
    public async Task A_write_larger_than_the_socket_buffers_waits_for_the_reader_and_arrives_whole_and_in_order()
    {
        using var loop = NewLoop();
        await using var pair = await Pair.OpenAsync(loop);
        var seed = Environment.TickCount;
        var data = new byte[16 * 1024 * 1024];
        new Random(seed).NextBytes(data);
        var write = pair.Stream.WriteAsync(data).AsTask();
        Assert.False(write.IsCompleted, $"16 MiB fit in the socket buffers at once (seed {seed})");
        // A second write while the first is pending would put its bytes in the middle: refused.
        await Assert.ThrowsAsync<InvalidOperationException>(() => pair.Stream.WriteAsync(new byte[1]).AsTask());
        var received = new byte[data.Length];
        var offset = 0;
        await Task.Run(() =>
        {
            while (offset < received.Length)
            {
                var n = pair.Client.Receive(received, offset, received.Length - offset, SocketFlags.None);
                Assert.True(n > 0, "the stream ended early");
                offset += n;
            }
        }).WaitAsync(Patience);
        await write.OffLoop();
        Assert.True(data.AsSpan().SequenceEqual(received), $"the bytes differ (seed {seed})");
    }

    [LinuxFact(x64: true, Timeout = 30_000)]
    public async Task A_pending_read_is_cancelled_by_its_token()
    {
        using var loop = NewLoop();
        await using var pair = await Pair.OpenAsync(loop);
        using var cancel = new CancellationTokenSource();
        var read = pair.Stream.ReadAsync(new byte[16], cancel.Token).AsTask();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(Patience));
        // The stream still reads afterwards.
        pair.Client.Send("x"u8);
        Assert.Equal(1, await pair.Stream.ReadAsync(new byte[16]).AsTask().OffLoop());
    }

    [LinuxFact(x64: true, Timeout = 30_000)]
    public async Task Closing_the_stream_ends_its_pending_read_and_write_and_closes_the_socket()
    {
        using var loop = NewLoop();
        var pair = await Pair.OpenAsync(loop);
        var read = pair.Stream.ReadAsync(new byte[16]).AsTask();
        var write = pair.Stream.WriteAsync(new byte[16 * 1024 * 1024]).AsTask(); // more than the buffers take
        Assert.False(write.IsCompleted);
        await pair.Stream.DisposeAsync();
        Assert.Equal(0, await read.OffLoop());
        await Assert.ThrowsAsync<IOException>(() => write.WaitAsync(Patience));
        // The peer sees the connection end (after the bytes that were sent).
        var sink = new byte[1024 * 1024];
        await Task.Run(() => { while (pair.Client.Receive(sink) > 0) { } }).OffLoop();
        pair.Client.Dispose();
    }

    /// <summary>The gate: after a wake-up that issued writes the store is told, and until it signals their commit the
    /// loop reads nothing more; then what arrived meanwhile is read.</summary>
    [LinuxFact(x64: true, Timeout = 30_000)]
    public async Task Until_the_store_commits_a_dispatched_burst_the_loop_reads_nothing_more()
    {
        var dispatched = 0;
        Action? committed = null;
        using var loop = new RespEventLoop(NullLogger.Instance, TimeSpan.FromSeconds(20), "test-loop", signal =>
        {
            committed = signal;
            Interlocked.Increment(ref dispatched);
            return true; // not committed yet: the loop waits for the signal
        }, () => { });
        await using var first = await Pair.OpenAsync(loop);
        await using var second = await Pair.OpenAsync(loop);
        var firstRead = ReadAndIssueAsync(first, loop);
        var secondRead = second.Stream.ReadAsync(new byte[16]).AsTask();

        first.Client.Send("SET"u8);
        await firstRead.OffLoop(); // read on the loop, which issued a write: the gate closes
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref dispatched) == 1, Patience), "the loop did not tell the WAL it waits");
        second.Client.Send("GET"u8);
        Assert.True(SpinWait.SpinUntil(() => second.Accepted.Available == 3, Patience), "the bytes did not arrive");
        // The bytes are there and the gate (20 s) holds the loop: nothing is read in this window. A broken gate
        // shows here; a working one cannot fail it.
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.False(secondRead.IsCompleted, "the loop read while a write it dispatched was in flight");

        committed!(); // the WAL's commit of the burst
        Assert.Equal(3, await secondRead.OffLoop());
    }

    [LinuxFact(x64: true, Timeout = 30_000)]
    public async Task The_gate_opens_at_its_limit_when_the_commit_takes_longer()
    {
        var stopped = 0;
        using var loop = new RespEventLoop(NullLogger.Instance, TimeSpan.FromMilliseconds(50), "test-loop", _ => true,
            () => Interlocked.Increment(ref stopped));
        await using var first = await Pair.OpenAsync(loop);
        await using var second = await Pair.OpenAsync(loop);
        var firstRead = ReadAndIssueAsync(first, loop);
        first.Client.Send("SET"u8);
        await firstRead.OffLoop();
        var secondRead = second.Stream.ReadAsync(new byte[16]).AsTask();
        second.Client.Send("GET"u8);
        Assert.Equal(3, await secondRead.OffLoop()); // the commit never comes; the read still does
        Assert.Equal(1, Volatile.Read(ref stopped)); // and the store was told the loop stopped waiting
    }

    private static async Task ReadAndIssueAsync(Pair pair, RespEventLoop loop)
    {
        // ConfigureAwait(false), as the RESP connection awaits: the continuation runs where the read completed.
        var n = await pair.Stream.ReadAsync(new byte[16]).ConfigureAwait(false);
        Assert.True(n > 0);
        Assert.True(RespEventLoop.OnLoopThread);
        loop.WriteIssued(); // as a connection does when it dispatches a write, on the loop's thread
    }

    private static RespEventLoop NewLoop() => new(NullLogger.Instance, TimeSpan.FromMilliseconds(1), "test-loop", _ => false, () => { });

    /// <summary>A loopback connection: the accepted side on the loop, the client side a plain blocking socket.</summary>
    private sealed class Pair : IAsyncDisposable
    {
        private Pair(Socket client, Socket accepted, LoopSocketStream stream)
        {
            Client = client;
            Accepted = accepted;
            Stream = stream;
        }

        public Socket Client { get; }
        /// <summary>The server side's socket, owned by <see cref="Stream"/>; for <see cref="Socket.Available"/> only.</summary>
        public Socket Accepted { get; }
        public LoopSocketStream Stream { get; }

        public static async Task<Pair> OpenAsync(RespEventLoop loop)
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(listener.LocalEndPoint!);
            var accepted = await listener.AcceptAsync();
            return new Pair(client, accepted, loop.Register(accepted));
        }

        public async ValueTask DisposeAsync()
        {
            await Stream.DisposeAsync();
            Client.Dispose();
        }
    }
}

internal static class LoopTestExtensions
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>Waits (at most 20 s) for a task the loop may complete, and goes on on a pool thread, never inline on the
    /// loop's thread (an await of an unfinished task would otherwise resume wherever it completes).</summary>
    public static async Task OffLoop(this Task task)
    {
        var handoff = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = task.ContinueWith(t =>
        {
            if (t.IsFaulted) handoff.TrySetException(t.Exception!.InnerExceptions);
            else if (t.IsCanceled) handoff.TrySetCanceled();
            else handoff.TrySetResult();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await handoff.Task.WaitAsync(Patience).ConfigureAwait(false);
    }

    /// <inheritdoc cref="OffLoop(Task)"/>
    public static async Task<T> OffLoop<T>(this Task<T> task)
    {
        await ((Task)task).OffLoop().ConfigureAwait(false);
        return await task.ConfigureAwait(false); // done: no wait
    }
}
