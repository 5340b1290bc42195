using System.Buffers;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace AkkaRepl.Server.Resp.Loop;

/// <summary>
/// A connected socket served by a <see cref="RespEventLoop"/>: reads wait for the loop to report the socket readable
/// (edge-triggered), so a read never costs an empty <c>recv</c> first, and a read the loop completes runs its
/// continuation on the loop's thread. Writes are sent at once from the caller's thread; what the socket cannot take
/// now is sent by the loop when the socket reports room. One read and one write may be outstanding at a time (as
/// a PipeReader and a PipeWriter use a stream).
/// <para>Reads run under <c>_readGate</c> and writes under <c>_writeGate</c> (the loop's handling of each, a read or
/// write that starts), and close takes both, so an event never finds a half-registered read or write and nothing
/// touches the descriptor after close. Two locks, not one: the thread that sends a reply holds the write side for
/// the send, during which the client often answers, and the loop must not wait for it to read that.</para>
/// </summary>
internal sealed class LoopSocketStream : Stream, IValueTaskSource<int>
{
    private readonly RespEventLoop _loop;
    private readonly Socket _socket;
    private readonly object _readGate = new();
    private readonly object _writeGate = new();
    private readonly WriteSource _write;
    private bool _maybeReadable = true; // data may have arrived before the socket was registered
    // The peer shut down (or the socket failed): the end of the stream is queued behind any data, and no further edge
    // will announce it, so from now on every read tries recv.
    private bool _peerClosed;
    private bool _closed;
    private bool _readPending;
    private Memory<byte> _readBuffer;
    private ManualResetValueTaskSourceCore<int> _read; // continuations run where the read completes
    private CancellationTokenRegistration _readCancel;

    public LoopSocketStream(RespEventLoop loop, Socket socket, ulong id)
    {
        _loop = loop;
        _socket = socket;
        Id = id;
        Fd = (int)socket.Handle;
        _write = new WriteSource(this);
    }

    internal ulong Id { get; }
    internal int Fd { get; }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
        if (buffer.IsEmpty) return ValueTask.FromResult(0);
        lock (_readGate)
        {
            if (_closed) return ValueTask.FromException<int>(new ObjectDisposedException(nameof(LoopSocketStream)));
            if (_readPending) return ValueTask.FromException<int>(new InvalidOperationException("a read is already pending"));
            if (_maybeReadable)
            {
                int n;
                try { n = LinuxSockets.Receive(Fd, buffer.Span); }
                catch (IOException e) { return ValueTask.FromException<int>(e); }
                if (n >= 0)
                {
                    // A short read emptied the socket: the next arrival is an edge the loop reports.
                    if (n > 0 && n < buffer.Length && !_peerClosed) _maybeReadable = false;
                    return ValueTask.FromResult(n);
                }
                _maybeReadable = false;
            }
            _read.Reset();
            _readBuffer = buffer;
            _readPending = true;
        }
        if (cancellationToken.CanBeCanceled)
            _readCancel = cancellationToken.UnsafeRegister(static (s, ct) => ((LoopSocketStream)s!).CancelRead(ct), this);
        return new ValueTask<int>(this, _read.Version);
    }

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        lock (_writeGate)
        {
            if (_closed) return ValueTask.FromException(new ObjectDisposedException(nameof(LoopSocketStream)));
            // Sending now would put these bytes before the rest of the pending write.
            if (_write.Pending) return ValueTask.FromException(new InvalidOperationException("a write is already pending"));
            int sent;
            try { sent = SendSome(buffer.Span); }
            catch (IOException e) { return ValueTask.FromException(e); }
            if (sent == buffer.Length) return ValueTask.CompletedTask;
            return _write.Start(buffer[sent..]);
        }
    }

    /// <summary>Sends as much as the socket takes now.</summary>
    private int SendSome(ReadOnlySpan<byte> data)
    {
        var sent = 0;
        while (sent < data.Length)
        {
            var n = LinuxSockets.Send(Fd, data[sent..]);
            if (n == 0) break;
            sent += n;
        }
        return sent;
    }

    /// <summary>The loop reports events for this socket (on the loop's thread).</summary>
    internal void OnEvents(uint events)
    {
        if ((events & (LinuxSockets.EPOLLIN | LinuxSockets.EPOLLRDHUP | LinuxSockets.EPOLLHUP | LinuxSockets.EPOLLERR)) != 0)
            OnReadable((events & (LinuxSockets.EPOLLRDHUP | LinuxSockets.EPOLLHUP | LinuxSockets.EPOLLERR)) != 0);
        if ((events & (LinuxSockets.EPOLLOUT | LinuxSockets.EPOLLHUP | LinuxSockets.EPOLLERR)) != 0) OnWritable();
    }

    private void OnReadable(bool peerClosed)
    {
        var done = false;
        var result = 0;
        Exception? error = null;
        lock (_readGate)
        {
            if (_closed) return;
            _peerClosed |= peerClosed;
            if (!_readPending)
            {
                _maybeReadable = true;
                return;
            }
            try
            {
                result = LinuxSockets.Receive(Fd, _readBuffer.Span);
                if (result >= 0)
                {
                    done = true;
                    _maybeReadable = result == 0 || result == _readBuffer.Length || _peerClosed;
                }
            }
            catch (IOException e)
            {
                done = true;
                error = e;
            }
            if (!done) return; // nothing there after all
            _readPending = false;
            _readBuffer = default;
        }
        CompleteRead(result, error);
    }

    private void OnWritable()
    {
        Exception? error = null;
        lock (_writeGate)
        {
            if (_closed || !_write.Pending) return;
            try
            {
                if (!_write.Continue()) return;
            }
            catch (IOException e)
            {
                _write.Pending = false;
                error = e;
            }
        }
        _write.Complete(error);
    }

    private void CompleteRead(int result, Exception? error)
    {
        if (error is null) _read.SetResult(result);
        else _read.SetException(error);
    }

    private void CancelRead(CancellationToken ct)
    {
        lock (_readGate)
        {
            if (!_readPending) return;
            _readPending = false;
            _readBuffer = default;
        }
        _read.SetException(new OperationCanceledException(ct));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Close(new ObjectDisposedException(nameof(LoopSocketStream)));
        base.Dispose(disposing);
    }

    private void Close(Exception error)
    {
        bool readWasPending;
        bool writeWasPending;
        lock (_readGate)
        lock (_writeGate)
        {
            if (_closed) return;
            _closed = true;
            readWasPending = _readPending;
            _readPending = false;
            writeWasPending = _write.Pending;
            _write.Pending = false;
            _loop.Unregister(this); // before the descriptor closes: its number may be reused at once
            _socket.Dispose();
        }
        if (readWasPending) CompleteRead(0, null);
        if (writeWasPending) _write.Complete(new IOException("the connection is closed", error));
    }

    int IValueTaskSource<int>.GetResult(short token)
    {
        // Here, not at completion: the reader registered the token after the read became visible to the loop, and
        // the awaiter calls GetResult only once ReadAsync has returned.
        _readCancel.Dispose();
        _readCancel = default;
        return _read.GetResult(token);
    }
    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _read.GetStatus(token);
    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _read.OnCompleted(continuation, state, token, flags);

    /// <summary>The one outstanding write that the socket could not take at once; the loop finishes it.</summary>
    private sealed class WriteSource(LoopSocketStream stream) : IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _core;
        private ReadOnlyMemory<byte> _rest;
        private MemoryHandle _pin;

        /// <summary>Under the stream's write gate; cleared there by whoever then completes the write.</summary>
        public bool Pending { get; set; }

        /// <summary>Under the stream's write gate.</summary>
        public ValueTask Start(ReadOnlyMemory<byte> rest)
        {
            _core.Reset();
            _rest = rest;
            _pin = rest.Pin();
            Pending = true;
            return new ValueTask(this, _core.Version);
        }

        /// <summary>Under the stream's write gate: sends more; true when all is sent.</summary>
        public bool Continue()
        {
            var sent = stream.SendSome(_rest.Span);
            _rest = _rest[sent..];
            if (!_rest.IsEmpty) return false;
            Pending = false;
            return true;
        }

        /// <summary>Outside the write gate: ends the write.</summary>
        public void Complete(Exception? error)
        {
            _pin.Dispose();
            _rest = default;
            if (error is null) _core.SetResult(true);
            else _core.SetException(error);
        }

        public void GetResult(short token) => _core.GetResult(token);
        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);
        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
