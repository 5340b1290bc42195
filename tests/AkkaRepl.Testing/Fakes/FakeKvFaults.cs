namespace AkkaRepl.Testing.Fakes;

/// <summary>Bugs to plant in a <see cref="FakeKvStore"/>, to prove the checkers catch them.</summary>
public sealed record FakeKvFaults
{
    /// <summary>Every Nth acknowledged write (SET, or SET inside EXEC) replies OK but is not applied; null = never.</summary>
    public int? LoseEveryNthAcknowledgedWrite { get; init; }

    /// <summary>Every Nth GET returns the value the key had before its latest write; null = never.</summary>
    public int? StaleEveryNthRead { get; init; }
}
