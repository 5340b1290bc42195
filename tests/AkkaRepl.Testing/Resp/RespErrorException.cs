namespace AkkaRepl.Testing.Resp;

/// <summary>The server answered with a RESP error reply (for example a redirect to the primary).</summary>
public sealed class RespErrorException(string error) : Exception($"RESP error: {error}")
{
    /// <summary>The error text without the leading '-'.</summary>
    public string Error { get; } = error;
}
