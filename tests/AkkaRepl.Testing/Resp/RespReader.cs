using System.Globalization;
using System.Text;

namespace AkkaRepl.Testing.Resp;

/// <summary>Reads RESP values from a stream, buffered; used by <see cref="RespClient"/> and by fake servers.</summary>
public sealed class RespReader
{
    private const int MaxBulkBytes = 512 * 1024 * 1024;
    private const int MaxLineBytes = 64 * 1024;
    private readonly Stream _stream;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    /// <summary>Reads from <paramref name="stream"/>; the reader does not own it.</summary>
    public RespReader(Stream stream) => _stream = stream;

    /// <summary>Reads one value; null when the stream ended cleanly between values.</summary>
    /// <exception cref="RespProtocolException">Invalid RESP or the stream ended inside a value.</exception>
    public async Task<RespValue?> ReadAsync(CancellationToken ct = default)
    {
        var line = await ReadLineAsync(ct).ConfigureAwait(false);
        if (line is null)
            return null;
        return await ParseAsync(line, ct).ConfigureAwait(false);
    }

    private async Task<RespValue> ReadRequiredAsync(CancellationToken ct) =>
        await ReadAsync(ct).ConfigureAwait(false) ?? throw new RespProtocolException("The stream ended inside an array.");

    private async Task<RespValue> ParseAsync(string line, CancellationToken ct)
    {
        if (line.Length == 0)
            throw new RespProtocolException("Empty RESP line.");
        var body = line[1..];
        switch (line[0])
        {
            case '+':
                return RespValue.Simple(body);
            case '-':
                return RespValue.Error(body);
            case ':':
                return RespValue.FromInteger(ParseLong(body));
            case '_':
                return RespValue.Nil;
            case '$':
            {
                var length = ParseLong(body);
                if (length == -1)
                    return RespValue.Nil;
                if (length < 0 || length > MaxBulkBytes)
                    throw new RespProtocolException($"Bad bulk length {length}.");
                var bytes = await ReadExactAsync((int)length + 2, ct).ConfigureAwait(false);
                if (bytes[^2] != '\r' || bytes[^1] != '\n')
                    throw new RespProtocolException("A bulk string is not followed by CRLF.");
                return RespValue.Bulk(Encoding.UTF8.GetString(bytes, 0, (int)length));
            }
            case '*':
            {
                var count = ParseLong(body);
                if (count == -1)
                    return RespValue.Nil;
                if (count < 0 || count > 1_000_000)
                    throw new RespProtocolException($"Bad array length {count}.");
                var items = new RespValue[count];
                for (var i = 0; i < count; i++)
                    items[i] = await ReadRequiredAsync(ct).ConfigureAwait(false);
                return RespValue.Array(items);
            }
            default:
                throw new RespProtocolException($"Unknown RESP type '{line[0]}' in line \"{line}\".");
        }
    }

    private static long ParseLong(string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new RespProtocolException($"\"{text}\" is not a RESP integer.");

    private async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            var span = _buffer.AsSpan(_start, _end - _start);
            var lf = span.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                if (lf == 0 || span[lf - 1] != '\r')
                    throw new RespProtocolException("A RESP line must end with CRLF.");
                var line = Encoding.UTF8.GetString(span[..(lf - 1)]);
                _start += lf + 1;
                return line;
            }
            if (_end - _start >= MaxLineBytes)
                throw new RespProtocolException($"A RESP line is longer than {MaxLineBytes} bytes.");
            if (!await FillAsync(ct).ConfigureAwait(false))
                return _end == _start ? null : throw new RespProtocolException("The stream ended inside a line.");
        }
    }

    private async Task<byte[]> ReadExactAsync(int count, CancellationToken ct)
    {
        var result = new byte[count];
        var got = 0;
        while (got < count)
        {
            if (_end == _start && !await FillAsync(ct).ConfigureAwait(false))
                throw new RespProtocolException($"The stream ended after {got} of {count} bytes of a bulk string.");
            var take = Math.Min(count - got, _end - _start);
            _buffer.AsSpan(_start, take).CopyTo(result.AsSpan(got));
            _start += take;
            got += take;
        }
        return result;
    }

    private async Task<bool> FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
            Array.Resize(ref _buffer, _buffer.Length * 2); // a line longer than the buffer (bounded by MaxLineBytes)
        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
        _end += read;
        return read > 0;
    }
}
