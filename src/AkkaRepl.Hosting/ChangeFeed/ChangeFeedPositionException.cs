using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;

namespace AkkaRepl.Hosting.ChangeFeed;

/// <summary>
/// The feed cannot go on from a reader's position: <see cref="ChangeFeedGapException"/> (the log there was trimmed) or
/// <see cref="ChangeFeedDivergedException"/> (this node's log was cut back below it). Either way the reader must repair
/// what it derived from the feed before it reads on from <see cref="ResumeFrom"/>; nothing is skipped or decoded from
/// the middle of a record in the meantime.
/// </summary>
public abstract class ChangeFeedPositionException(string message, Lsn requested) : AkkaReplException(message)
{
    /// <summary>The reader's position: where it started, or the end of the last change it was handed.</summary>
    public Lsn Requested { get; } = requested;

    /// <summary>Where the reader can read on once it made good what the exception says (for a named subscriber:
    /// <see cref="IChangeFeed.SetPosition"/>).</summary>
    public abstract Lsn ResumeFrom { get; }
}
