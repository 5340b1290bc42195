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
/// <para>The gate: after handling one wait's events, if its connections issued writes that wait for nothing but the
/// local flush (<see cref="WriteIssued"/>), the loop tells the store (which may then commit at once instead of waiting
/// for more) and waits, at most <see cref="GateLimit"/>, until those writes are durable locally. Replies still leave
/// from whichever thread completes them; only this loop's next read waits. Writes that wait for replicas are not
/// counted: their clients send again only after the replicas answered, so holding the loop for them made small
/// group commits.</para>
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
    private readonly Func<Action, bool> _writesDispatched;
    private readonly Action _stopWaiting;
    private readonly Action _committed; // the store's call when the burst is durable: opens the gate
    private long _nextId;
    private long _writesIssued;
    private long _writesAtLastGate; // loop only
    private volatile bool _stopping;
    private int _disposed;
    private readonly object _ctl = new(); // epoll_ctl calls and the close of the epoll descriptor
    private bool _epollClosed;            // under _ctl

    /// <param name="writesDispatched">Told, after a wake-up in which writes were issued, that they are all queued;
    /// true when the loop should wait for them, and then it calls its argument once they are durable (see
    /// <see cref="IKvBackend.WritesDispatched"/>).</param>
    /// <param name="stopWaiting">Told when the loop stopped waiting before that call came.</param>
    public RespEventLoop(ILogger logger, TimeSpan gateLimit, string name, Func<Action, bool> writesDispatched, Action stopWaiting)
    {
        _logger = logger;
        _writesDispatched = writesDispatched;
        _stopWaiting = stopWaiting;
        _committed = _gate.Signal;
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
        try
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
        catch
        {
            socket.Dispose(); // taken over: a socket that could not be registered is closed, not leaked
            throw;
        }
    }

    /// <summary>Called by the stream as it closes, before its descriptor does.</summary>
    internal void Unregister(LoopSocketStream stream)
    {
        lock (_ctl)
        {
            if (_streams.TryRemove(stream.Id, out _) && !_epollClosed) LinuxSockets.Remove(_epoll, stream.Fd);
        }
    }

    /// <summary>A connection of this loop issued a write whose reply waits for the local flush only (the gate waits
    /// for it).</summary>
    public void WriteIssued() => Interlocked.Increment(ref _writesIssued);

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
                        if (_injectedFailure is { } injected) throw injected;
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
            Failed = true; // before the connections close: their clients' reconnects go to .NET's socket engine
            LogLoopFailed(_logger, e);
        }
        finally
        {
            CloseAll();
        }
    }

    /// <summary>The loop's thread failed (a bug, not a client's doing): its connections were closed, and the server
    /// serves new ones with .NET's socket engine.</summary>
    public bool Failed { get => _failed; private set => _failed = value; }
    private volatile bool _failed;

    private volatile Exception? _injectedFailure;

    /// <summary>Tests: makes the loop's thread fail with <paramref name="failure"/>, as a bug in it would.</summary>
    internal void InjectFailure(Exception failure)
    {
        _injectedFailure = failure;
        _wake.Signal();
    }

    /// <summary>The gate: holds the next wait back until the writes issued since the last one are durable, or the limit
    /// passes.</summary>
    private void WaitForWrites()
    {
        var issued = Volatile.Read(ref _writesIssued);
        if (issued == _writesAtLastGate || GateLimit <= TimeSpan.Zero) return;
        _writesAtLastGate = issued;
        if (!_writesDispatched(_committed)) return;
        _gate.Wait(GateLimit);
        _stopWaiting(); // a call that comes after the limit leaves one early wake-up behind, no more
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

    [LoggerMessage(Level = LogLevel.Critical, Message = "RESP event loop failed; its connections are closed, and new ones are served by .NET's socket engine")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
