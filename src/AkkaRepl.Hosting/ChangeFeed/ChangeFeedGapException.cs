using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;

namespace AkkaRepl.Hosting.ChangeFeed;

/// <summary>
/// The feed was asked to start below the oldest record this node still keeps (older log is trimmed behind
/// snapshots). The subscriber must rebuild what it derives from a full read of the state, then follow from
/// <see cref="FirstAvailable"/>.
/// </summary>
public sealed class ChangeFeedGapException(Lsn requested, Lsn firstAvailable)
    : AkkaReplException($"the change feed cannot start at LSN {requested}: this node keeps the log from LSN {firstAvailable} on " +
                        "(older records are trimmed behind snapshots); reload from the current state and follow from there")
{
    public Lsn Requested { get; } = requested;
    public Lsn FirstAvailable { get; } = firstAvailable;
}
