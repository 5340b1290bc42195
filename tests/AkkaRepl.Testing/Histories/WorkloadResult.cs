namespace AkkaRepl.Testing.Histories;

/// <summary>What a <see cref="WorkloadRunner"/> run produced.</summary>
/// <param name="Seed">The seed, for assertion messages and reruns.</param>
/// <param name="History">Every operation.</param>
/// <param name="Elapsed">Wall-clock time of the run.</param>
/// <param name="ConnectFailures">Connection attempts that failed (no operation was invoked on them).</param>
public sealed record WorkloadResult(int Seed, History History, TimeSpan Elapsed, int ConnectFailures)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"seed {Seed}: {History} in {Elapsed.TotalMilliseconds:F0} ms, {ConnectFailures} failed connects";
}
