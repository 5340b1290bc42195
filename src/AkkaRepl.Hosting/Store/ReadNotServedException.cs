using AkkaRepl.Core.Errors;

namespace AkkaRepl.Hosting.Store;

/// <summary>
/// This node cannot serve the read at its <see cref="ReadConsistency"/> now: a replica further behind the primary than
/// a bounded-staleness bound (or with no recent news from it), a primary that could not confirm with a majority that
/// it still leads, or a value not committed at quorum in time. Retryable: later, on another node, or on the
/// <see cref="Primary"/>. The message is the text the RESP endpoint answers after <c>TRYAGAIN</c>
/// (docs/reads-and-client.md), ending with where the primary is.
/// </summary>
public sealed class ReadNotServedException(ReadConsistency consistency, string? primary, string message) : AkkaReplException(message)
{
    /// <summary>The level that was asked for.</summary>
    public ReadConsistency Consistency { get; } = consistency;

    /// <summary>The primary's id as this node knows it; null when unknown.</summary>
    public string? Primary { get; } = primary;
}
