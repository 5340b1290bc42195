using AkkaRepl.Core.Ids;

namespace AkkaRepl.Hosting.ChangeFeed;

/// <summary>
/// This node's log was cut back to <see cref="Cut"/>, below the reader's position: the node had diverged from a new
/// primary (a deposed primary's writes no replica received, or a replica's records the new primary never had), so the
/// changes after <see cref="Cut"/> that the reader was handed were rolled back. They are saved in the node's
/// <c>rollback/</c> directory (<c>akkarepl rollback show FILE</c>); the log after the cut now holds other changes. The
/// reader must undo, or rebuild, what it derived from the changes after <see cref="Cut"/>, then read on from
/// <see cref="Cut"/>. Everything up to <see cref="Cut"/> is unchanged.
/// </summary>
public sealed class ChangeFeedDivergedException(Lsn requested, Lsn cut)
    : ChangeFeedPositionException($"the change feed cannot read on from LSN {requested}: this node's log was cut back to LSN {cut} when it " +
                                  $"diverged from a new primary, so the changes after LSN {cut} that this reader was handed are rolled back " +
                                  "(they are in the node's rollback directory); undo what you derived from them, then follow from the cut", requested)
{
    /// <summary>The end of the log the reader's position and this node's log still share.</summary>
    public Lsn Cut { get; } = cut;

    /// <inheritdoc />
    public override Lsn ResumeFrom => Cut;
}
