namespace AkkaRepl.Client.Resp;

/// <summary>The node refused the connection's credentials (AUTH answered WRONGPASS or another error).</summary>
public sealed class RespAuthenticationException(string message) : IOException(message);
