using AkkaRepl.Client.Writes;

namespace AkkaRepl.Client.Errors;

/// <summary>
/// A write was sent, and the connection failed or the call timed out before its reply: it may or may not have
/// committed. The client never retries such a write (that could apply it twice); the caller decides, e.g. by reading
/// the key back. <see cref="Write"/> identifies it.
/// </summary>
public sealed class WriteOutcomeUnknownException(WriteId write, string node, string message, Exception? inner = null)
    : AkkaReplClientException($"write {write} to {node}: outcome unknown: {message}", inner)
{
    public WriteId Write { get; } = write;
    public string Node { get; } = node;
}
