using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace AkkaRepl.Testing.Network;

/// <summary>
/// A loopback TCP proxy for one link: listens on 127.0.0.1 at a port the OS picks and forwards every connection to
/// <see cref="Target"/>, applying a <see cref="LinkMode"/> to each direction independently.
/// </summary>
/// <remarks>
/// Invariant: the bytes of a connection that stays open are delivered exactly once and in order, whatever the mode
/// switches in between (one writer loop per direction decides when each queued chunk goes out). Drop is the only mode
/// that loses bytes, and it does so by resetting the connection, which both peers observe.
/// </remarks>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly ModeCell _toTarget = new();
    private readonly ModeCell _fromTarget = new();
    private readonly ConcurrentDictionary<ProxyConnection, byte> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private IPEndPoint? _target;
    private long _accepted;

    private FaultProxy(string name, IPEndPoint? target)
    {
        Name = name;
        _target = target;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(128);
        Endpoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>A label for logs and failure messages, e.g. "a->b".</summary>
    public string Name { get; }

    /// <summary>Where clients connect: 127.0.0.1 and the port the OS assigned.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>The listening port.</summary>
    public int Port => Endpoint.Port;

    /// <summary>
    /// Where new connections are forwarded. Null means the target is not known yet (its node has not started):
    /// new connections are reset at once, as if nothing listened there. Changing it does not touch open connections.
    /// </summary>
    public IPEndPoint? Target
    {
        get => Volatile.Read(ref _target);
        set => Volatile.Write(ref _target, value);
    }

    /// <summary>Connections currently open through the proxy.</summary>
    public int OpenConnections => _connections.Count;

    /// <summary>Connections accepted and forwarded since start (excludes ones refused by Drop or a missing target).</summary>
    public long AcceptedConnections => Interlocked.Read(ref _accepted);

    /// <summary>Bytes of one direction read by the proxy and not yet delivered (held by a blackhole, delay or throttle).</summary>
    public long HeldBytes(LinkDirection direction) => Cell(direction).HeldBytes;

    /// <summary>Starts a proxy listening on 127.0.0.1:0 that forwards to <paramref name="target"/>.</summary>
    public static FaultProxy Start(IPEndPoint? target, string name = "proxy") => new(name, target);

    /// <summary>The mode of one direction.</summary>
    public LinkMode GetMode(LinkDirection direction) => Cell(direction).Mode;

    /// <summary>
    /// Sets the mode of one direction; it takes effect for the next chunk of every connection (bytes already handed to
    /// the kernel are gone). Drop resets every open connection at once.
    /// </summary>
    public void SetMode(LinkDirection direction, LinkMode mode)
    {
        ArgumentNullException.ThrowIfNull(mode);
        Cell(direction).Set(mode);
        if (mode.Kind == LinkModeKind.Drop)
            ResetAll();
    }

    /// <summary>Sets both directions to <paramref name="mode"/>.</summary>
    public void SetMode(LinkMode mode)
    {
        SetMode(LinkDirection.ToTarget, mode);
        SetMode(LinkDirection.FromTarget, mode);
    }

    /// <summary>Both directions back to <see cref="LinkMode.Pass"/>; held bytes are delivered in order.</summary>
    public void Heal() => SetMode(LinkMode.Pass);

    /// <summary>Resets every open connection (both peers see a reset) without changing the modes.</summary>
    public void ResetAll()
    {
        foreach (var connection in _connections.Keys)
            connection.Reset();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
            return;
        _stop.Cancel();
        _listener.Dispose();
        ResetAll();
        await _acceptLoop.ConfigureAwait(false);
        await Task.WhenAll(_connections.Keys.Select(c => c.Completion)).ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name} :{Port} -> {Target?.ToString() ?? "(no target)"} [{GetMode(LinkDirection.ToTarget)} / {GetMode(LinkDirection.FromTarget)}]";

    private ModeCell Cell(LinkDirection direction) => direction switch
    {
        LinkDirection.ToTarget => _toTarget,
        LinkDirection.FromTarget => _fromTarget,
        _ => throw new ArgumentOutOfRangeException(nameof(direction), direction, null),
    };

    private bool Dropping => _toTarget.Mode.Kind == LinkModeKind.Drop || _fromTarget.Mode.Kind == LinkModeKind.Drop;

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = ConnectAsync(client);
        }
    }

    private async Task ConnectAsync(Socket client)
    {
        var target = Target;
        if (target is null || Dropping)
        {
            ProxyConnection.ResetSocket(client);
            return;
        }
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await upstream.ConnectAsync(target, _stop.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The target is down: the client sees a reset, as it would connecting directly.
            ProxyConnection.ResetSocket(upstream);
            ProxyConnection.ResetSocket(client);
            return;
        }
        var connection = new ProxyConnection(client, upstream);
        _connections[connection] = 0;
        Interlocked.Increment(ref _accepted);
        connection.Start(_toTarget, _fromTarget, c => _connections.TryRemove(c, out _));
        // A Drop (or dispose) that raced with this connect must still reach it.
        if (Dropping || _stop.IsCancellationRequested)
            connection.Reset();
    }
}
