using AkkaRepl.Core.Ids;

namespace AkkaRepl.Hosting.ChangeFeed;

/// <summary>
/// The log of applied writes on this node, for caches, search indexes and audit. Changes come in log order, only
/// once this node applied them. On a replica a change can later be cut if the replica diverged from a new primary
/// (it then goes to a rollback file); follow the primary, or use quorum writes, when that matters.
/// </summary>
public interface IChangeFeed
{
    /// <summary>Changes from <paramref name="from"/> (a write's end LSN, or <see cref="Lsn.Zero"/>) on, then new ones as they
    /// are applied, until cancelled.</summary>
    /// <exception cref="ChangeFeedGapException">The log at <paramref name="from"/> is no longer kept.</exception>
    IAsyncEnumerable<AppliedChange> ReadAsync(Lsn from, CancellationToken ct = default);

    /// <summary>
    /// Follows the feed as <paramref name="subscriber"/>, whose position is kept in the data directory
    /// (<c>feeds/NAME.position</c>). A change counts as handled when the subscriber asks for the next one, so after a
    /// restart it resumes with the first change it had not finished: at least once, never skipping.
    /// </summary>
    /// <param name="subscriber">1-64 letters, digits, '-', '_' or '.'.</param>
    IAsyncEnumerable<AppliedChange> FollowAsync(string subscriber, CancellationToken ct = default);

    /// <summary>The saved position of <paramref name="subscriber"/> (<see cref="Lsn.Zero"/> when it never ran).</summary>
    Lsn PositionOf(string subscriber);
}
