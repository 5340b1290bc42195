namespace AkkaRepl.Client.Errors;

/// <summary>The primary answered <c>NOTDURABLE</c>: the write is durable on the primary only, its durability level was not
/// reached in time (policy <c>fail</c>). It was applied; do not retry it blindly.</summary>
public sealed class WriteNotDurableException(string message) : AkkaReplClientException(message);
