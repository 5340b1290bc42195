using AkkaRepl.Core.Ids;

namespace AkkaRepl.Hosting.ChangeFeed;

/// <summary>
/// The records a reader needs next are no longer kept on this node: older log is trimmed behind snapshots, and the
/// reader asked to start below <see cref="FirstAvailable"/>, or fell that far behind while it read. The reader must
/// reload what it derives from a full read of the current state, then follow from <see cref="FirstAvailable"/>.
/// </summary>
public sealed class ChangeFeedGapException(Lsn requested, Lsn firstAvailable)
    : ChangeFeedPositionException($"the change feed cannot read from LSN {requested}: this node keeps the log from LSN {firstAvailable} on " +
                                  "(older records are trimmed behind snapshots); reload from the current state and follow from there", requested)
{
    /// <summary>The oldest LSN this node still keeps.</summary>
    public Lsn FirstAvailable { get; } = firstAvailable;

    /// <inheritdoc />
    public override Lsn ResumeFrom => FirstAvailable;
}
