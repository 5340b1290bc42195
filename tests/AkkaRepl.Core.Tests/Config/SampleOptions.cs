using AkkaRepl.Core.Options;

namespace AkkaRepl.Core.Tests.Config;

/// <summary>An options record with every bindable type, standing in for records other parts will add.</summary>
public sealed record SampleOptions : IValidatableOptions
{
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    [OptionRange("1 ms", "1 h")]
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan? Lease { get; init; } = TimeSpan.FromSeconds(5);

    public SampleMode Mode { get; init; } = SampleMode.Block;

    [OptionRange(0.0, 1.0)]
    public double Ratio { get; init; } = 0.5;

    public long MaxLagBytes { get; init; } = 1024;

    public bool Enabled { get; init; } = true;

    public IReadOnlyList<string> Tags { get; init; } = ["default"];

    public IReadOnlyList<SampleMember> Members { get; init; } = [];

    /// <summary>Shared on purpose: binding must copy it, never change it.</summary>
    public static readonly SampleMember DefaultPrimary = new() { NodeId = "p0", Port = 9 };

    public SampleMember Primary { get; init; } = DefaultPrimary;

    public void Validate(OptionsValidationContext context)
    {
        if (Heartbeat >= Timeout)
            context.Add($"{context.PathOf(nameof(Heartbeat))} must be shorter than {context.PathOf(nameof(Timeout))}");
    }
}
