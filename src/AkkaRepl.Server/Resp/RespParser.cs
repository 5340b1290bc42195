using System.Buffers;
using AkkaRepl.Core.Options;

namespace AkkaRepl.Server.Resp;

/// <summary>
/// Reads client requests: RESP multibulk (<c>*N\r\n$len\r\narg\r\n...</c>) and inline commands (a text line,
/// split on spaces with Redis's quoting rules). Bulk arguments that lie in one buffer segment are returned as
/// slices of it (no copy): they are valid only until the caller advances its reader. Error texts are Redis's.
/// </summary>
internal static class RespParser
{
    /// <summary>Longest inline line or length line without its terminator (Redis's PROTO_INLINE_MAX_SIZE).</summary>
    public const int MaxInlineBytes = 64 * 1024;

    public const string InvalidMultibulkLength = "ERR Protocol error: invalid multibulk length";
    public const string InvalidBulkLength = "ERR Protocol error: invalid bulk length";
    public const string TooBigInline = "ERR Protocol error: too big inline request";
    public const string TooBigMultibulkCount = "ERR Protocol error: too big mult bulk count string";
    public const string TooBigBulkCount = "ERR Protocol error: too big bulk count string";
    public const string UnbalancedQuotes = "ERR Protocol error: unbalanced quotes in request";
    public const string TooBigRequest = "ERR Protocol error: too big request";

    /// <summary>Parses one request from the start of <paramref name="buffer"/>. On <see cref="RespParseStatus.Complete"/>
    /// <paramref name="argv"/> holds its arguments and <paramref name="consumed"/> is where the next one starts.</summary>
    public static RespParseStatus TryParse(in ReadOnlySequence<byte> buffer, RespOptions options,
        List<ReadOnlyMemory<byte>> argv, out SequencePosition consumed, out string? error)
    {
        argv.Clear();
        error = null;
        consumed = buffer.Start;
        if (buffer.IsEmpty) return RespParseStatus.Incomplete;
        var reader = new SequenceReader<byte>(buffer);
        reader.TryPeek(out var first); // the first segment may be empty: peek across segments
        var status = first == (byte)'*'
            ? ParseMultibulk(ref reader, options, argv, out error)
            : ParseInline(ref reader, argv, out error);
        if (status == RespParseStatus.Complete) consumed = reader.Position;
        else argv.Clear();
        return status;
    }

    private static RespParseStatus ParseMultibulk(ref SequenceReader<byte> reader, RespOptions options,
        List<ReadOnlyMemory<byte>> argv, out string? error)
    {
        error = null;
        reader.Advance(1);
        if (!reader.TryReadTo(out ReadOnlySpan<byte> countLine, (byte)'\r', advancePastDelimiter: false))
            return Fail(reader.Remaining > MaxInlineBytes, TooBigMultibulkCount, out error);
        if (countLine.Length > MaxInlineBytes) return Fail(true, TooBigMultibulkCount, out error);
        if (reader.Remaining < 2) return RespParseStatus.Incomplete;
        reader.Advance(2); // "\r\n" (Redis does not check the '\n' either)
        if (!TryParseInt64(countLine, out var count) || count > options.MaxArrayLength)
            return Fail(true, InvalidMultibulkLength, out error);
        if (count <= 0) return RespParseStatus.Complete; // "*0" and "*-1": an empty request, skipped
        long requestBytes = 0;
        for (var i = 0; i < count; i++)
        {
            if (!reader.TryPeek(out var marker)) return RespParseStatus.Incomplete;
            if (!reader.TryReadTo(out ReadOnlySpan<byte> lengthLine, (byte)'\r', advancePastDelimiter: false))
                return Fail(reader.Remaining > MaxInlineBytes, TooBigBulkCount, out error);
            if (lengthLine.Length > MaxInlineBytes) return Fail(true, TooBigBulkCount, out error);
            if (reader.Remaining < 2) return RespParseStatus.Incomplete;
            if (marker != (byte)'$')
            {
                error = $"ERR Protocol error: expected '$', got '{(char)marker}'";
                return RespParseStatus.Error;
            }
            if (!TryParseInt64(lengthLine[1..], out var length) || length < 0 || length > options.MaxBulkBytes)
                return Fail(true, InvalidBulkLength, out error);
            requestBytes += length;
            if (requestBytes > options.MaxRequestBytes) return Fail(true, TooBigRequest, out error);
            reader.Advance(2);
            if (reader.Remaining < length + 2) return RespParseStatus.Incomplete;
            var bulk = reader.UnreadSequence.Slice(0, length);
            argv.Add(bulk.IsSingleSegment ? bulk.First : bulk.ToArray());
            reader.Advance(length + 2); // the bulk and its "\r\n" (unchecked, as in Redis)
        }
        return RespParseStatus.Complete;
    }

    private static RespParseStatus ParseInline(ref SequenceReader<byte> reader, List<ReadOnlyMemory<byte>> argv, out string? error)
    {
        error = null;
        if (!reader.TryReadTo(out ReadOnlySequence<byte> lineSequence, (byte)'\n'))
            return Fail(reader.Remaining > MaxInlineBytes, TooBigInline, out error);
        if (lineSequence.Length > MaxInlineBytes) return Fail(true, TooBigInline, out error);
        ReadOnlySpan<byte> line = lineSequence.IsSingleSegment ? lineSequence.FirstSpan : lineSequence.ToArray();
        if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
        return SplitArgs(line, argv) ? RespParseStatus.Complete : Fail(true, UnbalancedQuotes, out error);
    }

    /// <summary>Splits an inline line like Redis's sdssplitargs: spaces separate arguments; "double quotes" take
    /// \n \r \t \b \a \\ \" and \xHH escapes; 'single quotes' take \'; a closing quote must end the argument.</summary>
    internal static bool SplitArgs(ReadOnlySpan<byte> line, List<ReadOnlyMemory<byte>> argv)
    {
        var p = 0;
        var current = new List<byte>();
        while (true)
        {
            while (p < line.Length && IsSpace(line[p])) p++;
            if (p >= line.Length) return true;
            bool inDouble = false, inSingle = false, done = false;
            current.Clear();
            while (!done)
            {
                if (inDouble)
                {
                    if (p >= line.Length) return false;
                    if (line[p] == '\\' && p + 3 < line.Length && line[p + 1] == 'x' && IsHex(line[p + 2]) && IsHex(line[p + 3]))
                    {
                        current.Add((byte)(HexValue(line[p + 2]) * 16 + HexValue(line[p + 3])));
                        p += 3;
                    }
                    else if (line[p] == '\\' && p + 1 < line.Length)
                    {
                        p++;
                        current.Add(line[p] switch
                        {
                            (byte)'n' => (byte)'\n',
                            (byte)'r' => (byte)'\r',
                            (byte)'t' => (byte)'\t',
                            (byte)'b' => (byte)'\b',
                            (byte)'a' => (byte)'\a',
                            var c => c,
                        });
                    }
                    else if (line[p] == '"')
                    {
                        if (p + 1 < line.Length && !IsSpace(line[p + 1])) return false;
                        done = true;
                    }
                    else current.Add(line[p]);
                }
                else if (inSingle)
                {
                    if (p >= line.Length) return false;
                    if (line[p] == '\\' && p + 1 < line.Length && line[p + 1] == '\'')
                    {
                        p++;
                        current.Add((byte)'\'');
                    }
                    else if (line[p] == '\'')
                    {
                        if (p + 1 < line.Length && !IsSpace(line[p + 1])) return false;
                        done = true;
                    }
                    else current.Add(line[p]);
                }
                else if (p >= line.Length) done = true;
                else
                {
                    switch (line[p])
                    {
                        case (byte)' ': case (byte)'\n': case (byte)'\r': case (byte)'\t': case 0: done = true; break;
                        case (byte)'"': inDouble = true; break;
                        case (byte)'\'': inSingle = true; break;
                        default: current.Add(line[p]); break;
                    }
                }
                if (p < line.Length) p++;
            }
            argv.Add(current.ToArray());
        }
    }

    /// <summary>Redis's string2ll: optional '-', digits without leading zeros or '+', within int64 (one rule, shared with counters).</summary>
    internal static bool TryParseInt64(ReadOnlySpan<byte> s, out long value) => AkkaRepl.Storage.Kv.KvInt.TryParse(s, out value);

    private static RespParseStatus Fail(bool isError, string text, out string? error)
    {
        error = isError ? text : null;
        return isError ? RespParseStatus.Error : RespParseStatus.Incomplete;
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;
    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);
    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
