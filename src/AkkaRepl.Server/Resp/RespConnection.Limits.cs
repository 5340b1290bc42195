using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Server.Resp;

/// <summary>
/// The per-client limits that keep one client from taking the node's memory or a connection slot for ever: the
/// pending-reply limit (reply bytes the client has not taken yet) and the idle timeout.
/// <para>Why the reader never waits on the socket: if it did, a client that stops reading would stall it, and the
/// node could not tell a slow reader from a dead one. Instead a flush that does not finish at once is completed in
/// the background (holding the output), the reader keeps serving and queueing replies, and counts them; once the
/// client leaves more than <c>max-pending-reply</c> unread it is cut off. Queued pending writes (small replies) are
/// bounded by the reply queue's capacity.</para>
/// </summary>
internal sealed partial class RespConnection
{
    // The fast path flushes once it has written this much, so a pipelined batch of large replies is not held whole;
    // well under the pending-reply limit, so our own batching never breaks it.
    private long FastPathFlushBytes => Math.Min(1024 * 1024, _options.MaxPendingReplyBytes / 4);

    // Reply bytes handed to the output or queued ready, and not yet accepted by the socket. Added by the reader
    // loop, subtracted by whichever loop completed the flush.
    private long _pendingReplyBytes;
    // Bytes the reader wrote on its fast path since it took the output. Reader loop only.
    private long _fastPathBytes;
    // Environment.TickCount64 of the last request read or flush completed; the server's idle sweep reads it.
    private long _lastActivity = Environment.TickCount64;
    // A reader flush that did not complete at once; it holds the output until it ends. Reader loop only.
    private Task? _backgroundFlush;

    /// <summary>Milliseconds since this client last sent a request or took reply bytes; 0 while it waits on the node.</summary>
    public long IdleMilliseconds => Volatile.Read(ref _pendingInFlight) > 0 ? 0 : Environment.TickCount64 - Volatile.Read(ref _lastActivity);

    /// <summary>Closes the connection for breaking a limit, and logs why.</summary>
    public void CutOff(string reason)
    {
        LogCutOff(_logger, Id, Remote, reason);
        Abort();
    }

    private void MarkActive() => Volatile.Write(ref _lastActivity, Environment.TickCount64);

    /// <summary>Counts a reply about to be written or queued; cuts the client off (and throws) when it would leave
    /// more than the limit unread. A single reply larger than the limit passes when nothing else is pending.</summary>
    private void AddPending(long bytes)
    {
        var before = Interlocked.Add(ref _pendingReplyBytes, bytes) - bytes;
        if (before > 0 && before + bytes > _options.MaxPendingReplyBytes)
        {
            CutOff($"it left {before + bytes:N0} reply bytes unread, over akkarepl.resp.max-pending-reply ({_options.MaxPendingReplyBytes:N0} bytes)");
            throw new OperationCanceledException("the client was cut off at the pending-reply limit");
        }
    }

    private void Drained(long bytes)
    {
        if (bytes == 0) return;
        Interlocked.Add(ref _pendingReplyBytes, -bytes);
        MarkActive();
    }

    /// <summary>Flushes the reader's fast-path replies and releases the output, without waiting on a client that is not
    /// reading (see the type's remarks); then writes queued replies that became ready meanwhile.</summary>
    private async ValueTask ReleaseOutputAsync()
    {
        if (!_readerOwnsOutput)
        {
            TryDrain(); // e.g. a write that completed at once, queued behind nothing
            return;
        }
        _readerOwnsOutput = false;
        var bytes = _fastPathBytes;
        _fastPathBytes = 0;
        ValueTask<FlushResult> flush;
        try { flush = _out!.FlushAsync(); }
        catch
        {
            _output.Release();
            throw;
        }
        if (!flush.IsCompleted)
        {
            _backgroundFlush = FinishFlushAsync(flush, bytes);
            return;
        }
        try { await flush.ConfigureAwait(false); }
        finally
        {
            Drained(bytes);
            _output.Release();
        }
        TryDrain(); // replies that became ready while the reader held the output
    }

    private async Task FinishFlushAsync(ValueTask<FlushResult> flush, long bytes)
    {
        try { await flush.ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Abort(); // the socket failed: the reader must stop too
        }
        finally
        {
            Drained(bytes);
            _output.Release();
        }
        TryDrain();
    }

    /// <summary>Waits for a background flush (before the pipes are completed); it ends when the socket is closed.</summary>
    private async Task WaitForBackgroundFlushAsync()
    {
        if (_backgroundFlush is { } flush) await flush.ConfigureAwait(false);
    }

    /// <summary>The connection's stream (TLS when configured); null when the handshake failed, which is logged.</summary>
    private async Task<Stream?> OpenStreamAsync()
    {
        if (_server.EventLoop is { } loop)
        {
            _loop = loop;
            return loop.Register(_socket);
        }
        try { return await _server.Tls.OpenAsync(_socket, _closing.Token).ConfigureAwait(false); }
        catch (IOException e)
        {
            LogHandshakeFailed(_logger, Id, Remote, e.Message);
            _waits.Dispose();
            _closing.Dispose();
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "RESP connection {Id} from {Remote} closed: {Reason}")]
    private static partial void LogHandshakeFailed(ILogger logger, long id, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RESP connection {Id} from {Remote} cut off: {Reason}")]
    private static partial void LogCutOff(ILogger logger, long id, string remote, string reason);
}
