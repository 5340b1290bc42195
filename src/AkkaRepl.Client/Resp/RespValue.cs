namespace AkkaRepl.Client.Resp;

/// <summary>Kinds of RESP2 reply.</summary>
public enum RespKind { SimpleString, Error, Integer, BulkString, Array }

/// <summary>
/// One reply read from a server. A nil bulk string or nil array has <see cref="IsNull"/> set.
/// </summary>
public sealed record RespValue(RespKind Kind, string? Text = null, long Integer = 0, byte[]? Bulk = null,
    IReadOnlyList<RespValue>? Items = null)
{
    public bool IsNull => Kind switch
    {
        RespKind.BulkString => Bulk is null,
        RespKind.Array => Items is null,
        _ => false,
    };

    public bool IsError => Kind == RespKind.Error;

    /// <summary>The value as text: a simple string, error text, the integer, or the bulk string as UTF-8 (null for nil).</summary>
    public string? AsString() => Kind switch
    {
        RespKind.SimpleString or RespKind.Error => Text,
        RespKind.Integer => Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        RespKind.BulkString => Bulk is null ? null : System.Text.Encoding.UTF8.GetString(Bulk),
        _ => null,
    };

    public override string ToString() => Kind switch
    {
        RespKind.Array => Items is null ? "(nil array)" : "[" + string.Join(", ", Items) + "]",
        RespKind.Error => "(error) " + Text,
        _ => AsString() ?? "(nil)",
    };
}
