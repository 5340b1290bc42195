namespace AkkaRepl.Client.Pooling;

/// <summary>A connection failed. <see cref="Sent"/> says whether the command may have reached the node: false means
/// it certainly did not (retrying a write is then safe).</summary>
internal sealed class ConnectionLostException(string message, bool sent, Exception? inner = null) : IOException(message, inner)
{
    public bool Sent { get; } = sent;
}
