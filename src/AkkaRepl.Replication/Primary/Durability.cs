using AkkaRepl.Core.Errors;

namespace AkkaRepl.Replication.Primary;

/// <summary>Which durability a write asks for before it is acknowledged.</summary>
public enum DurabilityKind : byte
{
    /// <summary>Flushed on the primary only (asynchronous replication).</summary>
    Local = 0,
    /// <summary>Flushed on the primary and on at least <see cref="Durability.Count"/> replicas (semi-synchronous).</summary>
    Replicas = 1,
    /// <summary>Flushed on a majority of the voting members, the primary among them.</summary>
    Quorum = 2,
    /// <summary>Flushed on every member.</summary>
    All = 3,
    /// <summary>Flushed on the primary and applied on at least <see cref="Durability.Count"/> replicas (read-your-writes there).</summary>
    Applied = 4,
}

/// <summary>
/// A durability level. <c>Replicas(k)</c> with k + 1 below a majority does not survive every failover: a
/// replica that missed the write may be elected. Only <see cref="Quorum"/> and <see cref="All"/> carry G1.
/// </summary>
public readonly record struct Durability(DurabilityKind Kind, int Count = 0)
{
    public static readonly Durability Local = new(DurabilityKind.Local);
    public static readonly Durability Quorum = new(DurabilityKind.Quorum);
    public static readonly Durability All = new(DurabilityKind.All);
    public static Durability Replicas(int k) => k >= 1 ? new(DurabilityKind.Replicas, k) : throw new ArgumentOutOfRangeException(nameof(k), "replicas count must be at least 1");
    public static Durability Applied(int k) => k >= 1 ? new(DurabilityKind.Applied, k) : throw new ArgumentOutOfRangeException(nameof(k), "applied count must be at least 1");

    /// <summary>Parses <c>local</c>, <c>quorum</c>, <c>all</c>, <c>replicas K</c> or <c>applied K</c> (case-insensitive).</summary>
    public static Durability Parse(string text)
    {
        var parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        static int Count(string[] p, string what) =>
            p.Length == 2 && int.TryParse(p[1], out var k) && k >= 1 ? k
                : throw new AkkaReplException($"durability '{what} K' needs a whole number K >= 1, as in '{what} 1'");
        return parts.Length switch
        {
            0 => throw new AkkaReplException("durability is empty: expected local, quorum, all, replicas K or applied K"),
            _ => parts[0].ToLowerInvariant() switch
            {
                "local" when parts.Length == 1 => Local,
                "quorum" when parts.Length == 1 => Quorum,
                "all" when parts.Length == 1 => All,
                "replicas" => Replicas(Count(parts, "replicas")),
                "applied" => Applied(Count(parts, "applied")),
                _ => throw new AkkaReplException($"unknown durability '{text}': expected local, quorum, all, replicas K or applied K"),
            },
        };
    }

    public override string ToString() => Kind switch
    {
        DurabilityKind.Replicas => $"replicas {Count}",
        DurabilityKind.Applied => $"applied {Count}",
        _ => Kind.ToString().ToLowerInvariant(),
    };
}
