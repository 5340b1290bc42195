namespace AkkaRepl.Core.Ids;

/// <summary>
/// The number of a primary's reign. Exactly one node may acknowledge writes in a generation (G2);
/// every cross-node message and timer carries one, and anything from a lower generation than the
/// highest seen is dropped (G3). Generation 0 is "before any primary"; the first primary runs in 1.
/// </summary>
public readonly record struct Generation(ulong Value) : IComparable<Generation>
{
    public static readonly Generation None = new(0);
    public static readonly Generation First = new(1);

    public Generation Next() => new(Value + 1);
    public int CompareTo(Generation other) => Value.CompareTo(other.Value);
    public static bool operator <(Generation a, Generation b) => a.Value < b.Value;
    public static bool operator >(Generation a, Generation b) => a.Value > b.Value;
    public static bool operator <=(Generation a, Generation b) => a.Value <= b.Value;
    public static bool operator >=(Generation a, Generation b) => a.Value >= b.Value;
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
