using System.Globalization;
using System.Text;

namespace AkkaRepl.Storage.Kv;

/// <summary>
/// A reply to one key-value command, independent of the wire protocol (the RESP layer maps it to RESP2 or
/// RESP3). Immutable: the shared statics (<see cref="Ok"/>, <see cref="Nil"/>...) may be returned to any thread.
/// </summary>
public sealed class KvReply
{
    private readonly byte[]? _bulk;           // null: no bulk (nil, or another kind)
    private readonly int _bulkOffset, _bulkLength;

    private KvReply(KvReplyKind kind, string? text, long integer, byte[]? bulk, IReadOnlyList<KvReply>? items)
        : this(kind, text, integer, bulk, 0, bulk?.Length ?? 0, items)
    {
    }

    private KvReply(KvReplyKind kind, string? text, long integer, byte[]? bulk, int offset, int length, IReadOnlyList<KvReply>? items)
    {
        Kind = kind;
        Text = text;
        Integer = integer;
        _bulk = bulk;
        _bulkOffset = offset;
        _bulkLength = length;
        Items = items;
    }

    /// <summary><c>+OK</c>.</summary>
    public static readonly KvReply Ok = new(KvReplyKind.Simple, "OK", 0, null, null);
    /// <summary><c>+QUEUED</c>, the answer to a command queued inside MULTI.</summary>
    public static readonly KvReply Queued = new(KvReplyKind.Simple, "QUEUED", 0, null, null);
    /// <summary>The nil bulk string (missing key).</summary>
    public static readonly KvReply Nil = new(KvReplyKind.Bulk, null, 0, null, null);
    /// <summary>The nil array (an EXEC aborted by WATCH).</summary>
    public static readonly KvReply NilArray = new(KvReplyKind.Array, null, 0, null, null);
    /// <summary>The empty array.</summary>
    public static readonly KvReply EmptyArray = new(KvReplyKind.Array, null, 0, null, Array.Empty<KvReply>());
    /// <summary>Integer 0.</summary>
    public static readonly KvReply Zero = new(KvReplyKind.Integer, null, 0, null, null);
    /// <summary>Integer 1.</summary>
    public static readonly KvReply One = new(KvReplyKind.Integer, null, 1, null, null);

    /// <summary>Which of the RESP types this reply is; decides which other property carries its value.</summary>
    public KvReplyKind Kind { get; }
    /// <summary>The text of a <see cref="KvReplyKind.Simple"/> or <see cref="KvReplyKind.Error"/> reply; null otherwise.</summary>
    public string? Text { get; }
    /// <summary>The value of an <see cref="KvReplyKind.Integer"/> reply.</summary>
    public long Integer { get; }
    /// <summary>The bytes of a <see cref="KvReplyKind.Bulk"/> reply as an array of their own; null means nil. A reply
    /// that shares a slice of a larger array (a stored value) copies it here: the wire path uses <see cref="BulkMemory"/>.</summary>
    public byte[]? Bulk => _bulk is null ? null
        : _bulkOffset == 0 && _bulkLength == _bulk.Length ? _bulk
        : _bulk.AsSpan(_bulkOffset, _bulkLength).ToArray();

    /// <summary>The bytes of a bulk reply without a copy (empty for nil: tell nil by <see cref="IsNil"/>).</summary>
    public ReadOnlyMemory<byte> BulkMemory => _bulk is null ? default : new(_bulk, _bulkOffset, _bulkLength);

    /// <summary>Length of a bulk reply's bytes (0 for nil).</summary>
    public int BulkLength => _bulkLength;
    /// <summary>The elements of an <see cref="KvReplyKind.Array"/> (null = nil array) or a <see cref="KvReplyKind.Map"/> (flat pairs).</summary>
    public IReadOnlyList<KvReply>? Items { get; }

    /// <summary>True for an error reply (its <see cref="Text"/> starts with the error code).</summary>
    public bool IsError => Kind == KvReplyKind.Error;
    /// <summary>True for the nil bulk string and the nil array.</summary>
    public bool IsNil => (Kind == KvReplyKind.Bulk && _bulk is null) || (Kind == KvReplyKind.Array && Items is null);

    /// <summary>A status reply; <paramref name="text"/> must not contain CR or LF.</summary>
    public static KvReply Simple(string text) => new(KvReplyKind.Simple, CheckLine(text), 0, null, null);

    /// <summary>An error reply; <paramref name="text"/> starts with its code, e.g. <c>ERR syntax error</c>.
    /// CR and LF are replaced by spaces (as Redis does) so the line stays one line.</summary>
    public static KvReply Error(string text) =>
        new(KvReplyKind.Error, text.Replace('\r', ' ').Replace('\n', ' '), 0, null, null);

    /// <summary>An integer reply (0 and 1 are shared instances).</summary>
    public static KvReply FromInteger(long value) => value switch
    {
        0 => Zero,
        1 => One,
        _ => new(KvReplyKind.Integer, null, value, null, null),
    };

    /// <summary>A bulk string; null gives <see cref="Nil"/>. The array is not copied: do not change it afterwards.</summary>
    public static KvReply FromBulk(byte[]? value) => value is null ? Nil : new(KvReplyKind.Bulk, null, 0, value, null);

    /// <summary>A bulk string that shares <paramref name="value"/>'s memory (a stored value's slice, never changed
    /// afterwards); not nil, even when empty.</summary>
    public static KvReply FromBulk(ReadOnlyMemory<byte> value)
    {
        if (System.Runtime.InteropServices.MemoryMarshal.TryGetArray(value, out var segment))
            return new(KvReplyKind.Bulk, null, 0, segment.Array ?? [], segment.Offset, segment.Count, null);
        return new(KvReplyKind.Bulk, null, 0, value.ToArray(), null);
    }

    /// <summary>A bulk string of the UTF-8 bytes of <paramref name="value"/>.</summary>
    public static KvReply FromString(string value) => new(KvReplyKind.Bulk, null, 0, Encoding.UTF8.GetBytes(value), null);

    /// <summary>An array; null gives <see cref="NilArray"/>.</summary>
    public static KvReply FromArray(IReadOnlyList<KvReply>? items) =>
        items is null ? NilArray : new(KvReplyKind.Array, null, 0, null, items);

    /// <summary>A map from flat key/value pairs; the count must be even.</summary>
    public static KvReply FromMap(IReadOnlyList<KvReply> flatPairs)
    {
        if (flatPairs.Count % 2 != 0)
            throw new ArgumentException("a map needs an even number of items (key, value, ...)", nameof(flatPairs));
        return new(KvReplyKind.Map, null, 0, null, flatPairs);
    }

    private static string CheckLine(string text) =>
        text.AsSpan().IndexOfAny('\r', '\n') >= 0
            ? throw new ArgumentException("a simple string cannot contain CR or LF", nameof(text))
            : text;

    /// <summary>A readable form for tests and logs (not a wire format).</summary>
    public override string ToString() => Kind switch
    {
        KvReplyKind.Simple => "+" + Text,
        KvReplyKind.Error => "-" + Text,
        KvReplyKind.Integer => ":" + Integer.ToString(CultureInfo.InvariantCulture),
        KvReplyKind.Bulk => _bulk is null ? "(nil)" : "\"" + Encoding.UTF8.GetString(BulkMemory.Span) + "\"",
        KvReplyKind.Array => Items is null ? "(nil array)" : "[" + string.Join(", ", Items) + "]",
        _ => "{" + string.Join(", ", Items!) + "}",
    };
}
