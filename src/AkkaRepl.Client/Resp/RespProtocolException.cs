namespace AkkaRepl.Client.Resp;

/// <summary>The server sent bytes that are not RESP, or closed the connection mid-reply.</summary>
public sealed class RespProtocolException(string message) : IOException(message);
