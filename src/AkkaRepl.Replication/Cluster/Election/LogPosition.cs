namespace AkkaRepl.Replication.Cluster.Election;

/// <summary>
/// Where a node's log ends, as elections compare it: the generation of its last record, then its end LSN. A log
/// with a higher last generation is more up to date whatever its length (its tail was written by a later primary).
/// </summary>
public readonly record struct LogPosition(ulong Generation, ulong Lsn) : IComparable<LogPosition>
{
    public int CompareTo(LogPosition other) =>
        Generation != other.Generation ? Generation.CompareTo(other.Generation) : Lsn.CompareTo(other.Lsn);

    public static bool operator >=(LogPosition a, LogPosition b) => a.CompareTo(b) >= 0;
    public static bool operator <=(LogPosition a, LogPosition b) => a.CompareTo(b) <= 0;
    public static bool operator >(LogPosition a, LogPosition b) => a.CompareTo(b) > 0;
    public static bool operator <(LogPosition a, LogPosition b) => a.CompareTo(b) < 0;

    public override string ToString() => $"(generation {Generation}, lsn {Lsn})";
}
