using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AkkaRepl.Server.Tests.Resp;

/// <summary>A bare TCP client: sends exact bytes and reads exact reply bytes, so tests check the wire format.</summary>
internal sealed class RawRespClient : IAsyncDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly List<byte> _buffered = new();

    public static async Task<RawRespClient> ConnectAsync(int port)
    {
        var client = new RawRespClient();
        await client._socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return client;
    }

    public async Task SendAsync(string text) => await _socket.SendAsync(Encoding.UTF8.GetBytes(text), SocketFlags.None);

    public static string Command(params string[] args)
    {
        var sb = new StringBuilder($"*{args.Length}\r\n");
        foreach (var a in args) sb.Append($"${Encoding.UTF8.GetByteCount(a)}\r\n{a}\r\n");
        return sb.ToString();
    }

    /// <summary>Reads exactly as many bytes as <paramref name="expected"/> has and returns them as text.</summary>
    public async Task<string> ReadAsync(int byteCount, int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        var chunk = new byte[64 * 1024];
        while (_buffered.Count < byteCount)
        {
            var read = await _socket.ReceiveAsync(chunk, SocketFlags.None, cts.Token);
            if (read == 0) break;
            _buffered.AddRange(chunk.AsSpan(0, read));
        }
        var take = Math.Min(byteCount, _buffered.Count);
        var text = Encoding.UTF8.GetString(_buffered.GetRange(0, take).ToArray());
        _buffered.RemoveRange(0, take);
        return text;
    }

    /// <summary>Reads one CRLF-terminated line (without the CRLF).</summary>
    public async Task<string> ReadLineAsync(int timeoutMs = 10_000)
    {
        var line = new StringBuilder();
        while (true)
        {
            var c = await ReadAsync(1, timeoutMs);
            if (c.Length == 0) throw new IOException("the server closed the connection");
            if (c == "\n" && line.Length > 0 && line[^1] == '\r') return line.ToString(0, line.Length - 1);
            line.Append(c);
        }
    }

    /// <summary>Sends a request and returns exactly as many reply bytes as <paramref name="expected"/> has.</summary>
    public async Task<string> RoundTripAsync(string request, string expected)
    {
        await SendAsync(request);
        return await ReadAsync(Encoding.UTF8.GetByteCount(expected));
    }

    /// <summary>True when the server closed the connection (after any buffered bytes).</summary>
    public async Task<bool> IsClosedByServerAsync(int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        var chunk = new byte[1024];
        try
        {
            while (true)
            {
                var read = await _socket.ReceiveAsync(chunk, SocketFlags.None, cts.Token);
                if (read == 0) return true;
            }
        }
        catch (SocketException) { return true; }
        catch (OperationCanceledException) { return false; }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
