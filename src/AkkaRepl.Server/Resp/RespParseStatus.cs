namespace AkkaRepl.Server.Resp;

/// <summary>Outcome of parsing one request from the start of a buffer.</summary>
internal enum RespParseStatus
{
    /// <summary>One request was read (its argv may be empty: a blank inline line or <c>*0</c>, to be skipped).</summary>
    Complete,
    /// <summary>The buffer ends inside the request: read more and parse again from the same start.</summary>
    Incomplete,
    /// <summary>The request is malformed or over a limit: answer the error and close the connection.</summary>
    Error,
}
