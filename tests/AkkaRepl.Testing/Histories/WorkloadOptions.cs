namespace AkkaRepl.Testing.Histories;

/// <summary>
/// The shape of a <see cref="WorkloadRunner"/> run. Register keys are named <c>r0..</c> (writes, reads, CAS); counter
/// keys <c>c0..</c> (increments, reads). A run stops at <see cref="MaxOperations"/> or <see cref="MaxDuration"/>.
/// </summary>
public sealed record WorkloadOptions
{
    /// <summary>Seeds every client's choice of operation, key and expected value.</summary>
    public required int Seed { get; init; }

    /// <summary>Concurrent clients.</summary>
    public int Clients { get; init; } = 4;

    /// <summary>Register keys r0..r(n-1).</summary>
    public int RegisterKeys { get; init; } = 3;

    /// <summary>Counter keys c0..c(n-1); 0 for none.</summary>
    public int CounterKeys { get; init; } = 1;

    /// <summary>Operations over all clients.</summary>
    public int MaxOperations { get; init; } = 500;

    /// <summary>Wall-clock bound of the run.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one operation may take before its outcome becomes Unknown.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Relative weight of writes.</summary>
    public int WriteWeight { get; init; } = 3;

    /// <summary>Relative weight of reads.</summary>
    public int ReadWeight { get; init; } = 4;

    /// <summary>Relative weight of increments (needs counter keys).</summary>
    public int IncrementWeight { get; init; } = 1;

    /// <summary>Relative weight of compare-and-sets.</summary>
    public int CasWeight { get; init; } = 2;

    /// <summary>
    /// Decides whether an error reply to a write means it certainly did not take effect (Fail) rather than maybe
    /// (Unknown). The default treats only redirects, read-only and syntax-like errors as definite, because a
    /// durability error (G5 policy Fail) can come after the primary applied the write.
    /// </summary>
    public Func<string, bool> IsDefiniteFailure { get; init; } = DefaultIsDefiniteFailure;

    /// <summary>The default <see cref="IsDefiniteFailure"/>.</summary>
    public static bool DefaultIsDefiniteFailure(string error) =>
        error.StartsWith("READONLY", StringComparison.Ordinal) || error.StartsWith("MOVED", StringComparison.Ordinal) ||
        error.StartsWith("REDIRECT", StringComparison.Ordinal) || error.StartsWith("WRONGTYPE", StringComparison.Ordinal) ||
        error.StartsWith("EXECABORT", StringComparison.Ordinal) || error.StartsWith("ERR unknown", StringComparison.Ordinal) ||
        error.StartsWith("ERR wrong number", StringComparison.Ordinal) || error.StartsWith("ERR value is not an integer", StringComparison.Ordinal);
}
