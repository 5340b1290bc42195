using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AkkaRepl.Client.Tests.Writes;

/// <summary>
/// A RESP node that answers from a script, to put the client in front of replies a real cluster gives only in a race
/// (a primary that loses its lease while a write is in flight). <c>ROLE</c> answers as a primary with no replicas
/// (or with the reply given);
/// every other command gets <c>answer(command)</c>, a raw RESP reply (null: the node closes that connection instead of
/// answering). Records every command it received.
/// Binds port 0 on loopback.
/// </summary>
internal sealed class ScriptedRespNode : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<string[], string?> _answer;
    private readonly string _role; // the raw ROLE reply
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private readonly Task _accepting;

    public ScriptedRespNode(Func<string[], string?> answer, string role = "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n")
    {
        _answer = answer;
        _role = role;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Every command received but ROLE, in order of arrival.</summary>
    public ConcurrentQueue<string[]> Received { get; } = new();

    /// <summary>How many times the client probed this node's role.</summary>
    public int RoleProbes => Volatile.Read(ref _roleProbes);

    private int _roleProbes;

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _clients.Add(client);
                _ = ServeAsync(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            using var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
            var stream = client.GetStream();
            while (await ReadCommandAsync(reader) is { } command)
            {
                string? reply;
                if (command[0].Equals("ROLE", StringComparison.OrdinalIgnoreCase))
                {
                    Interlocked.Increment(ref _roleProbes);
                    reply = _role;
                }
                else
                {
                    Received.Enqueue(command);
                    reply = _answer(command);
                }
                if (reply is null)
                {
                    client.Dispose(); // the connection is lost before this reply
                    return;
                }
                await stream.WriteAsync(Encoding.ASCII.GetBytes(reply), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException) { }
    }

    /// <summary>One command as the client sends it: an array of bulk strings (ASCII here). Null at the end of the stream.</summary>
    private static async Task<string[]?> ReadCommandAsync(StreamReader reader)
    {
        var header = await reader.ReadLineAsync();
        if (header is null) return null;
        if (!header.StartsWith('*')) throw new IOException($"expected a RESP array, got '{header}'");
        var parts = new string[int.Parse(header.AsSpan(1))];
        for (var i = 0; i < parts.Length; i++)
        {
            _ = await reader.ReadLineAsync(); // $length
            parts[i] = await reader.ReadLineAsync() ?? throw new IOException("the stream ended inside a command");
        }
        return parts;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var client in _clients) client.Dispose();
        await _accepting;
        _stop.Dispose();
    }
}
