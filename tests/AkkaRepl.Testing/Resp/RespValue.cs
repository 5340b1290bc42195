using System.Globalization;

namespace AkkaRepl.Testing.Resp;

/// <summary>One RESP value: a reply from a server, or a command array sent to one.</summary>
public sealed record RespValue
{
    private RespValue(RespKind kind, string? text, long integer, IReadOnlyList<RespValue>? items)
    {
        Kind = kind;
        Text = text;
        Integer = integer;
        Items = items;
    }

    /// <summary>Which kind of value this is.</summary>
    public RespKind Kind { get; }

    /// <summary>The text of a simple string, error or bulk string; null otherwise.</summary>
    public string? Text { get; }

    /// <summary>The value of an integer reply; 0 otherwise.</summary>
    public long Integer { get; }

    /// <summary>The elements of an array; null otherwise.</summary>
    public IReadOnlyList<RespValue>? Items { get; }

    /// <summary>True for a nil bulk string or nil array.</summary>
    public bool IsNil => Kind == RespKind.Nil;

    /// <summary>True for an error reply.</summary>
    public bool IsError => Kind == RespKind.Error;

    /// <summary>The shared nil value.</summary>
    public static RespValue Nil { get; } = new(RespKind.Nil, null, 0, null);

    /// <summary><c>+OK</c></summary>
    public static RespValue Ok { get; } = Simple("OK");

    /// <summary>A simple string (must not contain CR or LF).</summary>
    public static RespValue Simple(string text) =>
        text.AsSpan().IndexOfAny('\r', '\n') >= 0
            ? throw new ArgumentException("A simple string cannot contain CR or LF.", nameof(text))
            : new(RespKind.SimpleString, text, 0, null);

    /// <summary>An error reply, e.g. "ERR unknown command" (must not contain CR or LF).</summary>
    public static RespValue Error(string text) =>
        text.AsSpan().IndexOfAny('\r', '\n') >= 0
            ? throw new ArgumentException("An error cannot contain CR or LF.", nameof(text))
            : new(RespKind.Error, text, 0, null);

    /// <summary>An integer reply.</summary>
    public static RespValue FromInteger(long value) => new(RespKind.Integer, null, value, null);

    /// <summary>A bulk string; null gives <see cref="Nil"/>.</summary>
    public static RespValue Bulk(string? text) => text is null ? Nil : new(RespKind.BulkString, text, 0, null);

    /// <summary>An array of values.</summary>
    public static RespValue Array(IReadOnlyList<RespValue> items) => new(RespKind.Array, null, 0, items);

    /// <summary>A command: an array of bulk strings.</summary>
    public static RespValue Command(IEnumerable<string> parts) => Array(parts.Select(p => Bulk(p)).ToArray());

    /// <summary>The text of a bulk or simple string, null for nil; an error reply or other kind throws.</summary>
    /// <exception cref="RespErrorException">The reply is an error.</exception>
    public string? AsString() => Kind switch
    {
        RespKind.BulkString or RespKind.SimpleString => Text,
        RespKind.Nil => null,
        RespKind.Error => throw new RespErrorException(Text!),
        _ => throw new InvalidOperationException($"Expected a string reply, got {this}."),
    };

    /// <summary>The value of an integer reply; an error reply or other kind throws.</summary>
    /// <exception cref="RespErrorException">The reply is an error.</exception>
    public long AsInteger() => Kind switch
    {
        RespKind.Integer => Integer,
        RespKind.Error => throw new RespErrorException(Text!),
        _ => throw new InvalidOperationException($"Expected an integer reply, got {this}."),
    };

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        RespKind.SimpleString => $"+{Text}",
        RespKind.Error => $"-{Text}",
        RespKind.Integer => $":{Integer.ToString(CultureInfo.InvariantCulture)}",
        RespKind.BulkString => $"\"{Text}\"",
        RespKind.Nil => "(nil)",
        _ => $"[{string.Join(", ", Items!)}]",
    };
}
