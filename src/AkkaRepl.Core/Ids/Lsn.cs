namespace AkkaRepl.Core.Ids;

/// <summary>
/// A log sequence number: a byte position in the write-ahead log, counted over record bytes only
/// (segment headers are not counted). A record's own LSN is where it starts; the LSN after it is
/// <c>record.Lsn + record.TotalBytes</c>. Lag in bytes between two positions is a subtraction.
/// </summary>
public readonly record struct Lsn(ulong Value) : IComparable<Lsn>
{
    /// <summary>The start of the log; nothing is before it.</summary>
    public static readonly Lsn Zero = new(0);

    public int CompareTo(Lsn other) => Value.CompareTo(other.Value);
    public static bool operator <(Lsn a, Lsn b) => a.Value < b.Value;
    public static bool operator >(Lsn a, Lsn b) => a.Value > b.Value;
    public static bool operator <=(Lsn a, Lsn b) => a.Value <= b.Value;
    public static bool operator >=(Lsn a, Lsn b) => a.Value >= b.Value;
    public static Lsn operator +(Lsn a, ulong bytes) => new(a.Value + bytes);
    /// <summary>Bytes from <paramref name="b"/> up to <paramref name="a"/>; zero when <paramref name="a"/> is not after it.</summary>
    public static ulong operator -(Lsn a, Lsn b) => a.Value > b.Value ? a.Value - b.Value : 0;
    public static Lsn Max(Lsn a, Lsn b) => a >= b ? a : b;
    public static Lsn Min(Lsn a, Lsn b) => a <= b ? a : b;
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
