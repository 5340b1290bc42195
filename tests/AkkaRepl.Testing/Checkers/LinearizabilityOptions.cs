namespace AkkaRepl.Testing.Checkers;

/// <summary>The search budget of a <see cref="LinearizabilityChecker"/>; exceeding it gives Inconclusive, never a pass.</summary>
public sealed record LinearizabilityOptions
{
    /// <summary>Most configurations (linearized set, state) explored in one search.</summary>
    public long MaxStatesPerSearch { get; init; } = 500_000;

    /// <summary>Wall-clock bound of the whole check, all keys and the window search included.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether to look for the smallest failing window when a key fails (costs extra searches).</summary>
    public bool FindSmallestWindow { get; init; } = true;
}
