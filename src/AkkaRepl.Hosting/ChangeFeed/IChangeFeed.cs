using AkkaRepl.Core.Ids;

namespace AkkaRepl.Hosting.ChangeFeed;

/// <summary>
/// The log of applied writes on this node, for caches, search indexes and audit. Changes come in log order, only
/// once this node applied them. On a replica, or on a primary that is deposed, a change can later be cut if the node
/// diverged from a new primary (it then goes to a rollback file): a reader that was handed it is told with
/// <see cref="ChangeFeedDivergedException"/>. Follow the primary, or use quorum writes, when that matters.
/// <para>A reader never skips a change and is never handed a record read from the middle of another: when its
/// position is no longer in this node's log it gets a <see cref="ChangeFeedPositionException"/>, which says where it can
/// read on from once it repaired what it derived (<see cref="ChangeFeedPositionException.ResumeFrom"/>).</para>
/// </summary>
public interface IChangeFeed
{
    /// <summary>Changes from <paramref name="from"/> (a change's end LSN, a receipt's end LSN, or <see cref="Lsn.Zero"/>)
    /// on, then new ones as they are applied, until cancelled. <paramref name="from"/> is taken as a position in this
    /// node's log as it is now: the feed cannot tell whether it came from a log this node has since cut back (a named
    /// subscriber's saved position can, see <see cref="FollowAsync"/>). From there on, a cut is detected.</summary>
    /// <exception cref="ChangeFeedGapException">The log at <paramref name="from"/> is no longer kept, or the reader fell
    /// behind the log that retention keeps while it read (the oldest records are trimmed behind snapshots).</exception>
    /// <exception cref="ChangeFeedDivergedException">This node's log was cut back below the end of a change the reader was
    /// handed (it diverged from a new primary).</exception>
    /// <exception cref="ArgumentException"><paramref name="from"/> is beyond the end of this node's log, or not the end of
    /// a record in it.</exception>
    IAsyncEnumerable<AppliedChange> ReadAsync(Lsn from, CancellationToken ct = default);

    /// <summary>
    /// Follows the feed as <paramref name="subscriber"/>, whose position is kept in the data directory
    /// (<c>feeds/NAME.position</c>). A change counts as handled when the subscriber asks for the next one, so after a
    /// restart it resumes with the first change it had not finished: at least once, never skipping. The position
    /// keeps the generations of the log up to it, so a subscriber that handled changes this node later cut (it
    /// diverged from a new primary) is told so when it follows again, with where the log was cut, even though new
    /// records now stand where those were. The position is not moved for it: after either exception below, repair what
    /// the subscriber derived, then <see cref="SetPosition"/> to the exception's
    /// <see cref="ChangeFeedPositionException.ResumeFrom"/>.
    /// </summary>
    /// <param name="subscriber">1-64 letters, digits, '-', '_' or '.'.</param>
    /// <exception cref="ChangeFeedGapException">The log at the saved position is no longer kept, or the subscriber fell
    /// behind it while it read.</exception>
    /// <exception cref="ChangeFeedDivergedException">This node's log was cut back below the saved position, or below a
    /// change the subscriber was handed while it read.</exception>
    IAsyncEnumerable<AppliedChange> FollowAsync(string subscriber, CancellationToken ct = default);

    /// <summary>The saved position of <paramref name="subscriber"/> (<see cref="Lsn.Zero"/> when it never ran).</summary>
    Lsn PositionOf(string subscriber);

    /// <summary>
    /// Moves <paramref name="subscriber"/>'s saved position to <paramref name="position"/> (durably), as a position in
    /// this node's log as it is now; its next <see cref="FollowAsync"/> starts there. For a subscriber that is not
    /// following, typically after a <see cref="ChangeFeedPositionException"/> was dealt with:
    /// <see cref="ChangeFeedPositionException.ResumeFrom"/>, or <see cref="Lsn.Zero"/> to start over.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="position"/> is beyond the end of this node's log.</exception>
    void SetPosition(string subscriber, Lsn position);
}
