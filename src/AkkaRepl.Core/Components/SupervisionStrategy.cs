namespace AkkaRepl.Core.Components;

/// <summary>What a component's supervisor does when its message handler throws.</summary>
public enum SupervisionDirective
{
    /// <summary>Run <c>OnStartAsync</c> again (reload from durable state) and go on with the next message.</summary>
    Restart,
    /// <summary>Stop the component and escalate: the node stops with the error. Never silently continue.</summary>
    Escalate,
}

/// <summary>
/// How a component reacts to a failure. Restarts are bounded: more than <see cref="MaxRestarts"/>
/// within <see cref="Window"/> escalates, so a component that fails on every message cannot spin forever.
/// </summary>
public sealed record SupervisionStrategy(
    Func<Exception, SupervisionDirective> Decider,
    int MaxRestarts,
    TimeSpan Window)
{
    /// <summary>Any failure stops the node. For components whose in-memory state cannot be rebuilt safely.</summary>
    public static readonly SupervisionStrategy EscalateAlways =
        new(_ => SupervisionDirective.Escalate, 0, TimeSpan.Zero);

    /// <summary>Restart from durable state up to 3 times a minute, then escalate.</summary>
    public static readonly SupervisionStrategy RestartFromDurableState =
        new(_ => SupervisionDirective.Restart, 3, TimeSpan.FromMinutes(1));
}
