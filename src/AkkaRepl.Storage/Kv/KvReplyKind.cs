namespace AkkaRepl.Storage.Kv;

/// <summary>The shape of a <see cref="KvReply"/>; each maps to one RESP2 and one RESP3 type.</summary>
public enum KvReplyKind
{
    /// <summary>A status line (<c>+OK</c>); never contains CR or LF.</summary>
    Simple,
    /// <summary>An error line; the text has no leading '-' and starts with its code (<c>ERR</c>, <c>EXECABORT</c>...).</summary>
    Error,
    /// <summary>A signed 64-bit integer (<c>:n</c>).</summary>
    Integer,
    /// <summary>A binary-safe string; a null one is nil (<c>$-1</c> in RESP2, <c>_</c> in RESP3).</summary>
    Bulk,
    /// <summary>An ordered list; a null one is the nil array (<c>*-1</c> in RESP2, <c>_</c> in RESP3).</summary>
    Array,
    /// <summary>Key/value pairs, stored flat (key, value, key, value...): a RESP3 map, a flat array in RESP2.</summary>
    Map,
}
