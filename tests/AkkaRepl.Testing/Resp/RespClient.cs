using System.Net;
using System.Net.Sockets;

namespace AkkaRepl.Testing.Resp;

/// <summary>
/// A minimal RESP client for workloads: one connection, one command at a time, each with a timeout. After a timeout
/// or I/O error the connection is broken (a reply may still be in flight, so the stream cannot be trusted) and every
/// later call throws; open a new client.
/// </summary>
public sealed class RespClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly RespReader _reader;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private volatile bool _broken;

    private RespClient(TcpClient tcp, TimeSpan commandTimeout)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = new RespReader(_stream);
        CommandTimeout = commandTimeout;
    }

    /// <summary>How long <see cref="SendAsync(string[])"/> waits for a reply.</summary>
    public TimeSpan CommandTimeout { get; set; }

    /// <summary>True after a timeout or I/O error; the client cannot be used again.</summary>
    public bool IsBroken => _broken;

    /// <summary>Connects within <paramref name="connectTimeout"/> (default 5 s).</summary>
    /// <exception cref="TimeoutException">The connection was not established in time.</exception>
    public static async Task<RespClient> ConnectAsync(
        IPEndPoint endpoint, TimeSpan? connectTimeout = null, TimeSpan? commandTimeout = null, CancellationToken ct = default)
    {
        var tcp = new TcpClient(endpoint.AddressFamily) { NoDelay = true };
        var timeout = connectTimeout ?? TimeSpan.FromSeconds(5);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await tcp.ConnectAsync(endpoint, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            tcp.Dispose();
            throw new TimeoutException($"Could not connect to {endpoint} within {timeout.TotalMilliseconds:F0} ms.");
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
        return new RespClient(tcp, commandTimeout ?? TimeSpan.FromSeconds(5));
    }

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/>.</summary>
    public static Task<RespClient> ConnectAsync(int port, TimeSpan? commandTimeout = null, CancellationToken ct = default) =>
        ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), null, commandTimeout, ct);

    /// <summary>Sends one command and reads its reply with <see cref="CommandTimeout"/>.</summary>
    public Task<RespValue> SendAsync(params string[] command) => SendAsync(command, CancellationToken.None);

    /// <summary>
    /// Sends one command and reads its reply. Error replies are returned as values (see <see cref="RespValue.IsError"/>).
    /// </summary>
    /// <exception cref="TimeoutException">No reply within <see cref="CommandTimeout"/>; the client is now broken.</exception>
    /// <exception cref="IOException">The connection failed or was closed; the client is now broken.</exception>
    public async Task<RespValue> SendAsync(IReadOnlyList<string> command, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0)
            throw new ArgumentException("A command needs at least its name.", nameof(command));
        await _oneAtATime.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_broken)
                throw new IOException($"The connection to {_tcp.Client.RemoteEndPoint} broke earlier; open a new client.");
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(CommandTimeout);
            try
            {
                await _stream.WriteAsync(RespWriter.Encode(RespValue.Command(command)), cts.Token).ConfigureAwait(false);
                return await _reader.ReadAsync(cts.Token).ConfigureAwait(false)
                    ?? throw new IOException("The server closed the connection before replying.");
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                _broken = true;
                throw new TimeoutException($"No reply to {command[0]} within {CommandTimeout.TotalMilliseconds:F0} ms.");
            }
            catch (Exception e) when (e is IOException or SocketException or RespProtocolException or ObjectDisposedException)
            {
                _broken = true;
                throw e as IOException ?? new IOException($"{command[0]} failed: {e.Message}", e);
            }
            catch (OperationCanceledException)
            {
                _broken = true;
                throw;
            }
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _broken = true;
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
