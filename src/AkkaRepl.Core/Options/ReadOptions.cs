namespace AkkaRepl.Core.Options;

/// <summary>Reads with a consistency level (RESP <c>CONSISTENCY</c>). HOCON path <c>akkarepl.reads</c>.</summary>
public sealed record ReadOptions : IValidatableOptions
{
    /// <summary>How long a read-your-writes read waits for this node's applier to reach its token before it answers
    /// the retryable TRYAGAIN error naming the primary; zero answers at once.</summary>
    [OptionRange("0 ms", "1 h")]
    public TimeSpan WaitTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a linearizable read on the primary waits for a majority to confirm it is still primary
    /// (the read-index round trip), and then for what it read to be committed at quorum, before TRYAGAIN.</summary>
    [OptionRange("1 ms", "1 h")]
    public TimeSpan LeadershipTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public void Validate(OptionsValidationContext context) { }
}
