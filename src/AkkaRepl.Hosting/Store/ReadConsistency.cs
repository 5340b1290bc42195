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
}

/// <summary>A read's consistency level; <c>default</c> is <see cref="Eventual"/>.</summary>
public readonly record struct ReadConsistency(ReadConsistencyKind Kind, Lsn Token)
{
    /// <summary>What this node has applied, without waiting.</summary>
    public static readonly ReadConsistency Eventual = new(ReadConsistencyKind.Eventual, Lsn.Zero);

    /// <summary>On the primary only; see <see cref="ReadConsistencyKind.Linearizable"/>. The primary's lease check
    /// comes with automatic failover; until then the node checks that it is the primary accepting writes.</summary>
    public static readonly ReadConsistency Linearizable = new(ReadConsistencyKind.Linearizable, Lsn.Zero);

    /// <summary>Waits until this node applied <paramref name="token"/> (a receipt's <see cref="WriteReceipt.EndLsn"/>).</summary>
    public static ReadConsistency ReadYourWrites(Lsn token) => new(ReadConsistencyKind.ReadYourWrites, token);

    /// <summary>Waits until this node applied the write of <paramref name="receipt"/>.</summary>
    public static ReadConsistency ReadYourWrites(WriteReceipt receipt) =>
        new(ReadConsistencyKind.ReadYourWrites, (receipt ?? throw new ArgumentNullException(nameof(receipt))).EndLsn);

    public override string ToString() => Kind == ReadConsistencyKind.ReadYourWrites ? $"read-your-writes({Token})" : Kind.ToString();
}
