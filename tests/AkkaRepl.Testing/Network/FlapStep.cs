namespace AkkaRepl.Testing.Network;

/// <summary>One step of a <see cref="NetworkConductor.FlapAsync"/> schedule: when it happened and what it did.</summary>
public sealed record FlapStep(TimeSpan At, string Action, TimeSpan Hold)
{
    /// <inheritdoc />
    public override string ToString() => $"+{At.TotalMilliseconds:F0}ms {Action} for {Hold.TotalMilliseconds:F0}ms";
}
