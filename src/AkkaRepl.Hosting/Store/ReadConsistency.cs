using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Primary;

namespace AkkaRepl.Hosting.Store;

/// <summary>How fresh a read must be.</summary>
public enum ReadConsistencyKind
{
    /// <summary>Whatever this node has applied; on a replica it may be behind the primary.</summary>
    Eventual = 0,
    /// <summary>Waits until this node applied the token (a write's end LSN), so the caller sees its own writes.</summary>
    ReadYourWrites = 1,
    /// <summary>Only on the primary: shows every acknowledged write, and never a value a failover could still take away
    /// (the value's LSN is waited for until a majority flushed it).</summary>
    Linearizable = 2,
    /// <summary>Served only while this node's state is at most <see cref="ReadConsistency.Bound"/> behind the primary,
    /// measured in time from the commit timestamps in the log (the primary serves it at once, once it applied the log it
    /// inherited); otherwise
    /// <see cref="ReadNotServedException"/>.</summary>
    BoundedStaleness = 3,
}

/// <summary>A read's consistency level; <c>default</c> is <see cref="Eventual"/>.</summary>
/// <param name="Token">For read-your-writes: the end LSN to wait for.</param>
/// <param name="Bound">For bounded staleness: how far behind the primary, in time, this node may be.</param>
public readonly record struct ReadConsistency(ReadConsistencyKind Kind, Lsn Token, TimeSpan Bound = default)
{
    /// <summary>What this node has applied, without waiting.</summary>
    public static readonly ReadConsistency Eventual = new(ReadConsistencyKind.Eventual, Lsn.Zero);

    /// <summary>On the primary only; see <see cref="ReadConsistencyKind.Linearizable"/>. Before reading, the primary
    /// confirms with a majority that it still leads (a read-index round over the replication links); a primary that
    /// was replaced, or cut off from a majority, throws <see cref="ReadNotServedException"/>.</summary>
    public static readonly ReadConsistency Linearizable = new(ReadConsistencyKind.Linearizable, Lsn.Zero);

    /// <summary>Waits until this node applied <paramref name="token"/> (a receipt's <see cref="WriteReceipt.EndLsn"/>).</summary>
    public static ReadConsistency ReadYourWrites(Lsn token) => new(ReadConsistencyKind.ReadYourWrites, token);

    /// <summary>Waits until this node applied the write of <paramref name="receipt"/>.</summary>
    public static ReadConsistency ReadYourWrites(WriteReceipt receipt) =>
        new(ReadConsistencyKind.ReadYourWrites, (receipt ?? throw new ArgumentNullException(nameof(receipt))).EndLsn);

    /// <summary>Served while this node is at most <paramref name="bound"/> behind the primary (sub-second bounds work).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bound"/> is not positive.</exception>
    public static ReadConsistency BoundedStaleness(TimeSpan bound)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(bound, TimeSpan.Zero);
        return new(ReadConsistencyKind.BoundedStaleness, Lsn.Zero, bound);
    }

    public override string ToString() => Kind switch
    {
        ReadConsistencyKind.ReadYourWrites => $"read-your-writes({Token})",
        ReadConsistencyKind.BoundedStaleness => $"bounded-staleness({Bound.TotalMilliseconds} ms)",
        _ => Kind.ToString(),
    };
}
