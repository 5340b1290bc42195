using System.Net;
using System.Net.Sockets;
using AkkaRepl.Testing.Resp;

namespace AkkaRepl.Testing.Fakes;

/// <summary>
/// A loopback RESP server on port 0 that hands each command to a handler. A handler returning null sends no reply
/// (to test client timeouts); one that throws gets an "ERR" reply.
/// </summary>
public sealed class FakeRespServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<FakeRespSession, IReadOnlyList<string>, ValueTask<RespValue?>> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = new();
    private readonly Task _acceptLoop;
    private int _sessions;

    private FakeRespServer(Func<FakeRespSession, IReadOnlyList<string>, ValueTask<RespValue?>> handler)
    {
        _handler = handler;
        _listener.Start();
        Endpoint = (IPEndPoint)_listener.LocalEndpoint;
        _acceptLoop = AcceptAsync();
    }

    /// <summary>Where clients connect.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>The listening port.</summary>
    public int Port => Endpoint.Port;

    /// <summary>Starts a server that answers each command with <paramref name="handler"/>.</summary>
    public static FakeRespServer Start(Func<FakeRespSession, IReadOnlyList<string>, ValueTask<RespValue?>> handler) => new(handler);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
        Task[] connections;
        lock (_connections)
            connections = _connections.ToArray();
        await Task.WhenAll(connections).ConfigureAwait(false);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            catch (InvalidOperationException) when (_stop.IsCancellationRequested)
            {
                return; // stopped between the loop's check and this accept: "Not listening"
            }
            var session = new FakeRespSession(Interlocked.Increment(ref _sessions) - 1);
            lock (_connections)
                _connections.Add(ServeAsync(client, session));
        }
    }

    private async Task ServeAsync(TcpClient client, FakeRespSession session)
    {
        using var _ = client;
        var stream = client.GetStream();
        var reader = new RespReader(stream);
        try
        {
            while (await reader.ReadAsync(_stop.Token).ConfigureAwait(false) is { } request)
            {
                RespValue? reply;
                if (request.Kind != RespKind.Array || request.Items!.Count == 0 || request.Items.Any(i => i.Kind != RespKind.BulkString))
                {
                    reply = RespValue.Error("ERR expected a command array of bulk strings");
                }
                else
                {
                    try
                    {
                        reply = await _handler(session, request.Items.Select(i => i.Text!).ToArray()).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        reply = RespValue.Error($"ERR {e.Message.ReplaceLineEndings(" ")}");
                    }
                }
                if (reply is not null)
                    await RespWriter.WriteAsync(stream, reply, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or RespProtocolException or ObjectDisposedException)
        {
            // The client went away or the server stops.
        }
    }
}
