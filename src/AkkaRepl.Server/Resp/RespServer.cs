using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using AkkaRepl.Core.Options;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Server.Resp;

/// <summary>
/// The Redis-protocol (RESP2/RESP3) endpoint of a node, on raw sockets and System.IO.Pipelines. Each
/// connection is served independently: a malformed or oversized request closes only its own connection.
/// Commands and limits: docs/resp.md.
/// </summary>
public sealed partial class RespServer : IAsyncDisposable
{
    private static readonly byte[] TooManyClients = "-ERR max number of clients reached\r\n"u8.ToArray();

    private readonly IKvBackend _backend;
    private readonly RespOptions _options;
    private readonly ILogger<RespServer> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<long, (RespConnection Connection, Task Run)> _connections = new();
    private Socket? _listener;
    private Loop.RespEventLoop? _loop;
    private Task? _acceptLoop;
    private long _nextId;
    private int _connectionCount;

    /// <summary>Creates a stopped server; <see cref="StartAsync"/> binds it.</summary>
    /// <exception cref="Core.Errors.ConfigException">A limit in <paramref name="options"/> is below 1.</exception>
    public RespServer(IKvBackend backend, RespOptions options, ILogger<RespServer> logger,
        Security.RespAuthenticator? authenticator = null, Security.TlsStreams? tls = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxConnections < 1 || options.MaxBulkBytes < 1 || options.MaxArrayLength < 1 || options.MaxRequestBytes < 1)
            throw new Core.Errors.ConfigException(
                "akkarepl.resp: max-connections, max-bulk-bytes, max-array-length and max-request-bytes must all be at least 1");
        _backend = backend;
        _options = options;
        _logger = logger;
        Authenticator = authenticator ?? Security.RespAuthenticator.Open;
        Tls = tls ?? Security.TlsStreams.Plain;
    }

    /// <summary>How connections' streams are opened: plain or TLS.</summary>
    internal Security.TlsStreams Tls { get; }

    /// <summary>Who may log in; <see cref="Security.RespAuthenticator.Open"/> when no users are configured.</summary>
    internal Security.RespAuthenticator Authenticator { get; }

    /// <summary>The port listened on (the real one when started on port 0); 0 before <see cref="StartAsync"/>.</summary>
    public int BoundPort { get; private set; }

    /// <summary>The event loop serving plain-TCP clients; null when .NET's socket engine serves them (also after the
    /// loop failed).</summary>
    internal Loop.RespEventLoop? EventLoop => _loop is { Failed: false } loop ? loop : null;

    /// <summary>Client connections open now.</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>Client connections accepted since start (refused ones not counted).</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref _nextId);

    /// <summary>Commands served since start, by kind (metrics).</summary>
    public RespCommandCounts Commands { get; } = new();

    /// <summary>Binds <paramref name="endpoint"/> (port 0 picks a free port, see <see cref="BoundPort"/>) and
    /// starts accepting clients.</summary>
    public Task StartAsync(IPEndPoint endpoint, CancellationToken ct)
    {
        if (_listener is not null) throw new InvalidOperationException("the RESP server is already started");
        ct.ThrowIfCancellationRequested();
        // Before the port is bound: a node that cannot have the loop it was configured for starts nothing.
        if (UsesEventLoop(_options, Tls.Enabled))
            _loop = new Loop.RespEventLoop(_logger, _options.EventLoopGate, "akkarepl-resp-loop", _backend.WritesDispatched,
                _backend.StopWaitingForWrites);
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(endpoint);
            listener.Listen(512);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            _loop?.Dispose();
            _loop = null;
            throw new Core.Errors.AkkaReplException($"cannot listen for RESP clients on {endpoint}: {e.Message}", e);
        }
        _listener = listener;
        BoundPort = ((IPEndPoint)listener.LocalEndPoint!).Port;
        LogListening(_logger, endpoint.Address.ToString(), BoundPort);
        _acceptLoop = Task.Run(AcceptLoopAsync, CancellationToken.None);
        StartIdleSweep();
        return Task.CompletedTask;
    }

    /// <summary>Stops accepting, closes every connection and waits for their loops to end.</summary>
    public async Task StopAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        _listener?.Dispose();
        if (_acceptLoop is not null) await _acceptLoop.ConfigureAwait(false);
        await IdleSweepStopped.ConfigureAwait(false);
        foreach (var (connection, _) in _connections.Values) connection.Abort();
        await Task.WhenAll(_connections.Values.Select(c => c.Run)).ConfigureAwait(false);
        // The last connection may have ended on the loop's thread: stop it from the pool, where it can be waited for.
        if (Loop.RespEventLoop.OnLoopThread) await Task.Yield();
        _loop?.Dispose();
    }

    /// <summary>
    /// Whether plain clients go through the node's own event loop (TLS clients never do). Auto: on Linux x86-64, the
    /// only platform whose socket calls and struct layouts the loop declares.
    /// </summary>
    /// <exception cref="Core.Errors.ConfigException">event-loop = on where the loop does not run.</exception>
    internal static bool UsesEventLoop(RespOptions options, bool tls)
    {
        if (options.EventLoop == RespEventLoopMode.On && !Loop.LinuxSockets.Supported)
            throw new Core.Errors.ConfigException(
                $"akkarepl.resp.event-loop = on needs Linux on x86-64; this is {System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier}: use auto or off");
        if (tls || !Loop.LinuxSockets.Supported) return false;
        return options.EventLoop != RespEventLoopMode.Off;
    }

    /// <summary>Same as <see cref="StopAsync"/>, then frees the server's resources.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await _listener!.AcceptAsync(_stopping.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException e)
            {
                LogAcceptFailed(_logger, e.Message);
                continue;
            }
            socket.NoDelay = true;
            if (Interlocked.Increment(ref _connectionCount) > _options.MaxConnections)
            {
                Interlocked.Decrement(ref _connectionCount);
                LogTooMany(_logger, _options.MaxConnections);
                _ = RefuseAsync(socket);
                continue;
            }
            var id = Interlocked.Increment(ref _nextId);
            var connection = new RespConnection(id, socket, _backend, _options, this, _logger, _stopping.Token);
            // Registered before it starts, so its own cleanup always finds (and removes) its entry.
            var start = new Task<Task>(async () =>
            {
                try { await connection.RunAsync().ConfigureAwait(false); }
                catch (Exception e) { LogConnectionFailed(_logger, e, id); }
                finally
                {
                    _connections.TryRemove(id, out _);
                    Interlocked.Decrement(ref _connectionCount);
                }
            });
            _connections[id] = (connection, start.Unwrap());
            start.Start(TaskScheduler.Default);
        }
    }

    private static async Task RefuseAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                await socket.SendAsync(TooManyClients, SocketFlags.None).ConfigureAwait(false);
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException) { /* the client went away first */ }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "RESP endpoint listening on {Address}:{Port}")]
    private static partial void LogListening(ILogger logger, string address, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RESP client refused: {Max} connections are open (akkarepl.resp.max-connections)")]
    private static partial void LogTooMany(ILogger logger, int max);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RESP accept failed: {Reason}")]
    private static partial void LogAcceptFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "RESP connection {Id} failed")]
    private static partial void LogConnectionFailed(ILogger logger, Exception exception, long id);
}
