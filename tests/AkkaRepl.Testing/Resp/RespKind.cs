namespace AkkaRepl.Testing.Resp;

/// <summary>The kinds of RESP reply the harness understands.</summary>
public enum RespKind
{
    /// <summary><c>+OK</c></summary>
    SimpleString,

    /// <summary><c>-ERR message</c></summary>
    Error,

    /// <summary><c>:42</c></summary>
    Integer,

    /// <summary><c>$3 foo</c></summary>
    BulkString,

    /// <summary><c>*2 ...</c></summary>
    Array,

    /// <summary><c>$-1</c>, <c>*-1</c> (RESP2) or <c>_</c> (RESP3).</summary>
    Nil,
}
