using System.Buffers;
using System.Buffers.Text;
using System.Net.Sockets;
using System.Text;

namespace AkkaRepl.Client.Resp;

/// <summary>
/// One RESP2 connection to a node. Commands are written as arrays of bulk strings; replies are read in
/// order, so several commands may be sent before their replies are read (pipelining). Not thread-safe:
/// one caller at a time, as with a socket.
/// </summary>
public sealed class RespConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly ArrayBufferWriter<byte> _out = new(4096);
    private byte[] _in = new byte[64 * 1024];
    private int _start, _end;

    private RespConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    private RespConnection(Socket socket, Stream stream)
    {
        _socket = socket;
        _stream = stream;
    }

    /// <summary>Connects with <paramref name="options"/>: TLS when <see cref="RespConnectionOptions.Tls"/> is set,
    /// then <c>AUTH</c> when a password is given.</summary>
    /// <exception cref="RespAuthenticationException">The node refused the credentials (the message has the node's error).</exception>
    public static async Task<RespConnection> ConnectAsync(string host, int port, RespConnectionOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(host, port, ct).ConfigureAwait(false);
            stream = await RespConnectionOptions.OpenStreamAsync(socket, host, options, ct).ConfigureAwait(false);
            var connection = new RespConnection(socket, stream);
            if (options.Password is { } password)
            {
                var reply = await connection.ExecuteAsync(ct, options.User is { } user ? ["AUTH", user, password] : ["AUTH", password])
                    .ConfigureAwait(false);
                if (reply.IsError)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    throw new RespAuthenticationException($"{host}:{port} refused AUTH: {reply.Text}");
                }
            }
            return connection;
        }
        catch
        {
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            throw;
        }
    }

    public static async Task<RespConnection> ConnectAsync(string host, int port, CancellationToken ct = default)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, ct).ConfigureAwait(false);
            return new RespConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends one command and reads its reply.</summary>
    public async Task<RespValue> ExecuteAsync(CancellationToken ct, params string[] args)
    {
        Append(args);
        await FlushAsync(ct).ConfigureAwait(false);
        return await ReadAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Buffers one command without sending it (see <see cref="FlushAsync"/>).</summary>
    public void Append(IReadOnlyList<string> args)
    {
        WriteLine('*', args.Count);
        foreach (var arg in args)
        {
            var bytes = Encoding.UTF8.GetBytes(arg);
            WriteLine('$', bytes.Length);
            _out.Write(bytes);
            _out.Write("\r\n"u8);
        }
    }

    /// <summary>Buffers one command with binary arguments.</summary>
    public void Append(IReadOnlyList<ReadOnlyMemory<byte>> args)
    {
        WriteLine('*', args.Count);
        foreach (var arg in args)
        {
            WriteLine('$', arg.Length);
            _out.Write(arg.Span);
            _out.Write("\r\n"u8);
        }
    }

    public async Task FlushAsync(CancellationToken ct = default)
    {
        await _stream.WriteAsync(_out.WrittenMemory, ct).ConfigureAwait(false);
        _out.ResetWrittenCount();
    }

    /// <summary>Reads the next reply.</summary>
    public async Task<RespValue> ReadAsync(CancellationToken ct = default)
    {
        while (true)
        {
            var parsed = TryParse(_in.AsSpan(_start, _end - _start), out var value);
            if (parsed > 0)
            {
                _start += parsed;
                return value!;
            }
            await FillAsync(ct).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose(); // a TLS stream does not own the socket
    }

    private void WriteLine(char prefix, int n)
    {
        var span = _out.GetSpan(16);
        span[0] = (byte)prefix;
        Utf8Formatter.TryFormat(n, span[1..], out var written);
        span[1 + written] = (byte)'\r';
        span[2 + written] = (byte)'\n';
        _out.Advance(3 + written);
    }

    private async Task FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_in, _start, _in, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _in.Length) Array.Resize(ref _in, _in.Length * 2);
        var n = await _stream.ReadAsync(_in.AsMemory(_end), ct).ConfigureAwait(false);
        if (n == 0) throw new RespProtocolException("the server closed the connection");
        _end += n;
    }

    /// <summary>Parses one reply; returns bytes consumed, or 0 when more bytes are needed.</summary>
    private static int TryParse(ReadOnlySpan<byte> buffer, out RespValue? value)
    {
        value = null;
        var eol = buffer.IndexOf("\r\n"u8);
        if (eol < 0) return 0;
        var line = buffer[1..eol];
        var headerLength = eol + 2;
        switch (buffer[0])
        {
            case (byte)'+':
                value = new RespValue(RespKind.SimpleString, Text: Encoding.UTF8.GetString(line));
                return headerLength;
            case (byte)'-':
                value = new RespValue(RespKind.Error, Text: Encoding.UTF8.GetString(line));
                return headerLength;
            case (byte)':':
                value = new RespValue(RespKind.Integer, Integer: ParseInt(line));
                return headerLength;
            case (byte)'$':
            {
                var length = ParseInt(line);
                if (length < 0) { value = new RespValue(RespKind.BulkString); return headerLength; }
                if (buffer.Length < headerLength + length + 2) return 0;
                value = new RespValue(RespKind.BulkString, Bulk: buffer.Slice(headerLength, (int)length).ToArray());
                return headerLength + (int)length + 2;
            }
            case (byte)'*':
            {
                var count = ParseInt(line);
                if (count < 0) { value = new RespValue(RespKind.Array); return headerLength; }
                var items = new RespValue[count];
                var offset = headerLength;
                for (var i = 0; i < count; i++)
                {
                    var used = TryParse(buffer[offset..], out var item);
                    if (used == 0) return 0;
                    items[i] = item!;
                    offset += used;
                }
                value = new RespValue(RespKind.Array, Items: items);
                return offset;
            }
            default:
                throw new RespProtocolException($"unexpected reply type byte '{(char)buffer[0]}'");
        }
    }

    private static long ParseInt(ReadOnlySpan<byte> text) =>
        Utf8Parser.TryParse(text, out long n, out var used) && used == text.Length
            ? n : throw new RespProtocolException($"bad integer in reply: '{Encoding.ASCII.GetString(text)}'");
}
