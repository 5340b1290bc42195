namespace AkkaRepl.Testing.Resp;

/// <summary>The bytes on the wire are not valid RESP, or the stream ended inside a value.</summary>
public sealed class RespProtocolException(string message) : Exception(message);
