using System.Collections.Concurrent;
using AkkaRepl.Client.Reads;
using AkkaRepl.Client.Resp;
using AkkaRepl.Client.Topology;

namespace AkkaRepl.Client.Pooling;

/// <summary>
/// One RESP connection shared by many callers, pipelined: callers append their commands under a short lock and
/// flush; one reader loop hands replies out in order. Thread-safe.
/// <para>Invariant: a caller's commands go out back to back (nothing of another caller in between), so state a
/// batch sets on the connection (<c>CONSISTENCY</c>) is in force for its read, and <c>LASTLSN</c> right after a write
/// names it. <see cref="Consistency"/> mirrors what was last set, so it is sent only when it changes.</para>
/// </summary>
internal sealed class MultiplexedConnection : IAsyncDisposable
{
    private readonly RespConnection _connection;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentQueue<TaskCompletionSource<RespValue>> _waiting = new(); // in send order; the reader loop dequeues
    private readonly Task _reader;
    private readonly CancellationTokenSource _closing = new();
    private volatile Exception? _failure;

    private MultiplexedConnection(NodeEndpoint endpoint, RespConnection connection)
    {
        Endpoint = endpoint;
        _connection = connection;
        _reader = Task.Run(ReadLoopAsync);
    }

    public NodeEndpoint Endpoint { get; }

    /// <summary>The consistency level last set on this connection; guarded by the write lock.</summary>
    public ReadConsistency Consistency { get; set; } = ReadConsistency.Eventual;

    public bool IsBroken => _failure is not null;

    /// <exception cref="ConnectionLostException">The node could not be reached (nothing was sent).</exception>
    public static async Task<MultiplexedConnection> ConnectAsync(NodeEndpoint endpoint, CancellationToken ct)
    {
        try { return new MultiplexedConnection(endpoint, await RespConnection.ConnectAsync(endpoint.Host, endpoint.Port, ct).ConfigureAwait(false)); }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
        {
            throw new ConnectionLostException($"cannot connect to {endpoint}: {e.Message}", sent: false, e);
        }
    }

    /// <summary>
    /// Sends the commands <paramref name="plan"/> returns, back to back, and returns one task per reply. The plan runs
    /// under the write lock, so it may read and change connection state (<see cref="Consistency"/>).
    /// </summary>
    /// <exception cref="ConnectionLostException">With <c>Sent = false</c> when nothing left; the reply tasks fault with
    /// <c>Sent = true</c> when the connection fails after sending.</exception>
    public async Task<Task<RespValue>[]> SendAsync(Func<MultiplexedConnection, IReadOnlyList<string[]>> plan, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_failure is { } failed) throw new ConnectionLostException($"connection to {Endpoint} failed: {failed.Message}", sent: false, failed);
            var commands = plan(this);
            var replies = new Task<RespValue>[commands.Count];
            for (var i = 0; i < commands.Count; i++)
            {
                _connection.Append(commands[i]);
                var tcs = new TaskCompletionSource<RespValue>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Enqueue(tcs);
                replies[i] = tcs.Task;
            }
            try
            {
                // Not cancellable: a half-written command would leave the connection unusable for everyone.
                await _connection.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                Fail(e); // the reader loop may be blocked; the queued waiters fail as sent (some bytes may have left)
            }
            // The reader loop may have failed after the check above and drained the queue before ours went in: fail them too.
            if (_failure is { } late) Fail(late);
            return replies;
        }
        finally { _writeLock.Release(); }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var reply = await _connection.ReadAsync(_closing.Token).ConfigureAwait(false);
                if (!_waiting.TryDequeue(out var tcs))
                    throw new RespProtocolException($"{Endpoint} sent a reply nobody asked for: {reply}");
                tcs.TrySetResult(reply);
            }
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    private void Fail(Exception e)
    {
        _failure ??= e;
        try { _closing.Cancel(); } catch (ObjectDisposedException) { }
        while (_waiting.TryDequeue(out var tcs))
            tcs.TrySetException(new ConnectionLostException($"connection to {Endpoint} lost before the reply: {e.Message}", sent: true, e));
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new ObjectDisposedException(nameof(MultiplexedConnection), "the client was disposed"));
        await _connection.DisposeAsync().ConfigureAwait(false);
        try { await _reader.ConfigureAwait(false); } catch (Exception) { /* already failed */ }
        _closing.Dispose();
    }
}
