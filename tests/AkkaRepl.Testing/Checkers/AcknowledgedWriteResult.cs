namespace AkkaRepl.Testing.Checkers;

/// <summary>What the <see cref="AcknowledgedWriteChecker"/> found: no violations means every check passed.</summary>
/// <param name="Violations">One readable sentence per problem: a lost write, a value never written, diverged nodes.</param>
/// <param name="Notes">Keys not checked and why (for example a key with both writes and increments).</param>
public sealed record AcknowledgedWriteResult(IReadOnlyList<string> Violations, IReadOnlyList<string> Notes)
{
    /// <summary>True when there is no violation.</summary>
    public bool Passed => Violations.Count == 0;

    /// <inheritdoc />
    public override string ToString() =>
        Passed
            ? $"passed{(Notes.Count > 0 ? $" ({Notes.Count} notes: {string.Join("; ", Notes)})" : "")}"
            : $"{Violations.Count} violations:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", Violations)}";
}
