using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Server.Resp.Loop;

/// <summary>
/// One thread that waits on every plain-TCP client socket of a RESP server with its own epoll set, in the shape of
/// Redis's event loop: it reads what the sockets report, and the connections' continuations (parse, dispatch, the
/// answers that are ready) run on it. Between two waits it lets the writes it dispatched reach the WAL's group
/// commit (the gate, below), so that the requests clients send meanwhile are read in one wake-up, not one each.
/// <para>Why: .NET's socket engine serves a socket the moment it is readable and tries a <c>recv</c> before every
/// wait, which on a node answering after fdatasync made ~18 wake-ups and two <c>recv</c> calls per group commit of
/// ~40 SETs (docs/benchmarks.md, "RESP event loop").</para>
/// <para>The gate: after handling one wait's events, if writes issued since are not all done, the loop waits (at
/// most <see cref="GateLimit"/>) until they are. Replies still leave from whichever thread completes them; only
/// this loop's next read waits. Writes that wait long (quorum, replicas down) only ever cost one gate limit.</para>
/// </summary>
internal sealed partial class RespEventLoop : IDisposable
{
    private const int MaxEvents = 256;

    [ThreadStatic] private static bool t_onLoop;

    private readonly ILogger _logger;
    private readonly int _epoll;
    private readonly Core.Threading.EventFd _wake = new(); // in the epoll set: Dispose wakes the loop with it
    private readonly Thread _thread;
    private readonly ConcurrentDictionary<ulong, LoopSocketStream> _streams = new();
    private readonly Core.Threading.EventFd _gate = new(); // signalled when the writes the gated loop waits for are done
    private long _nextId;
    private long _writesIssued;
    private long _writesDone;
    private long _gateTarget = long.MaxValue; // the count of done writes the gated loop waits for
    private volatile bool _stopping;
    private int _disposed;
    private readonly object _ctl = new(); // epoll_ctl calls and the close of the epoll descriptor
    private bool _epollClosed;            // under _ctl

    private readonly Action _writesDispatched;

    /// <param name="writesDispatched">Told when the loop starts waiting for writes it dispatched (the WAL may commit now).</param>
    public RespEventLoop(ILogger logger, TimeSpan gateLimit, string name, Action writesDispatched)
    {
        _logger = logger;
        _writesDispatched = writesDispatched;
        GateLimit = gateLimit;
        _epoll = LinuxSockets.CreateEpoll();
        try { LinuxSockets.Add(_epoll, _wake.Handle, LinuxSockets.EPOLLIN, 0); }
        catch
        {
            LinuxSockets.Close(_epoll);
            _wake.Dispose();
            _gate.Dispose();
            throw;
        }
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Longest the loop holds its next read back for writes in flight; zero: never.</summary>
    public TimeSpan GateLimit { get; }

    /// <summary>True on the loop's thread: code that may block must move off it first (it would stall every client).</summary>
    public static bool OnLoopThread => t_onLoop;

    /// <summary>Takes over <paramref name="socket"/> (made non-blocking): its stream reads and writes through this loop
    /// and disposes the socket.</summary>
    public LoopSocketStream Register(Socket socket)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        socket.Blocking = false;
        var stream = new LoopSocketStream(this, socket, (ulong)Interlocked.Increment(ref _nextId));
        lock (_ctl)
        {
            ObjectDisposedException.ThrowIf(_epollClosed, this);
            _streams[stream.Id] = stream;
            try
            {
                LinuxSockets.Add(_epoll, stream.Fd,
                    LinuxSockets.EPOLLIN | LinuxSockets.EPOLLOUT | LinuxSockets.EPOLLRDHUP | LinuxSockets.EPOLLET, stream.Id);
            }
            catch
            {
                _streams.TryRemove(stream.Id, out _);
                throw;
            }
        }
        return stream;
    }

    /// <summary>Called by the stream as it closes, before its descriptor does.</summary>
    internal void Unregister(LoopSocketStream stream)
    {
        lock (_ctl)
        {
            if (_streams.TryRemove(stream.Id, out _) && !_epollClosed) LinuxSockets.Remove(_epoll, stream.Fd);
        }
    }

    /// <summary>A connection of this loop issued a write.</summary>
    public void WriteIssued() => Interlocked.Increment(ref _writesIssued);

    /// <summary>A write issued here is done (any thread): opens the gate once all that the loop waits for are.</summary>
    public void WriteDone()
    {
        var done = Interlocked.Increment(ref _writesDone);
        // Only the completer that takes the target down signals: one eventfd write per gate.
        if (done >= Volatile.Read(ref _gateTarget) && Interlocked.Exchange(ref _gateTarget, long.MaxValue) != long.MaxValue)
            _gate.Signal();
    }

    private unsafe void Run()
    {
        t_onLoop = true;
        var events = stackalloc LinuxSockets.EpollEvent[MaxEvents];
        try
        {
            while (!_stopping)
            {
                var n = LinuxSockets.Wait(_epoll, events, MaxEvents, -1);
                for (var i = 0; i < n; i++)
                {
                    var id = events[i].Data;
                    if (id == 0)
                    {
                        _wake.Reset();
                        continue;
                    }
                    if (!_streams.TryGetValue(id, out var stream)) continue; // closed since the wait returned
                    try { stream.OnEvents(events[i].Events); }
                    catch (Exception e) { LogEventFailed(_logger, e); }
                }
                WaitForWrites();
            }
        }
        catch (Exception e)
        {
            LogLoopFailed(_logger, e);
        }
        finally
        {
            CloseAll();
        }
    }

    /// <summary>The gate: holds the next wait back until the writes issued so far are done, or the limit passes.</summary>
    private void WaitForWrites()
    {
        if (GateLimit <= TimeSpan.Zero) return;
        var target = Volatile.Read(ref _writesIssued);
        if (Volatile.Read(ref _writesDone) >= target) return;
        _writesDispatched();
        Interlocked.Exchange(ref _gateTarget, target); // a full fence: a completer sees the target, or we see its count
        if (Volatile.Read(ref _writesDone) < target) _gate.Wait(GateLimit);
        // Closed either way; a signal that comes after the timeout is drained by the next wait (one early wake-up).
        Volatile.Write(ref _gateTarget, long.MaxValue);
    }

    /// <summary>Stops the loop and closes every connection it serves. Called on the loop's own thread (a connection's
    /// continuation that ends its server), it only asks: the loop ends, and cleans up, once that continuation returns.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stopping = true;
        _wake.Signal();
        if (!OnLoopThread) _thread.Join();
    }

    /// <summary>The loop's last act: closes the connections, then the descriptors.</summary>
    private void CloseAll()
    {
        _stopping = true;
        foreach (var stream in _streams.Values) stream.Dispose();
        lock (_ctl)
        {
            _epollClosed = true;
            LinuxSockets.Close(_epoll);
        }
        _wake.Dispose();
        _gate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "RESP event loop: handling a socket's events failed")]
    private static partial void LogEventFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "RESP event loop failed; its connections are closed")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
