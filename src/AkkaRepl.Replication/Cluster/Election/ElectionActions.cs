namespace AkkaRepl.Replication.Cluster.Election;

/// <summary>
/// What <see cref="ElectionState"/> asks its driver to do. The driver carries actions out in order and before it
/// sends the messages of the same output: a saved generation or vote must be durable before a reply promises it.
/// </summary>
public abstract record ElectionAction;

/// <summary>Save the highest generation seen and the vote cast in it (null: none yet) before anything is sent.</summary>
public sealed record SaveVote(ulong Generation, string? VotedFor) : ElectionAction;

/// <summary>This node won the election of <c>Generation</c>: write the generation start, then serve writes.</summary>
public sealed record BecomePrimary(ulong Generation, string Reason) : ElectionAction;

/// <summary>This primary must stop acknowledging writes at once and become a replica.</summary>
public sealed record StepDown(ulong Generation, string Reason) : ElectionAction;

/// <summary>Follow <c>Primary</c>, the primary of <c>Generation</c> (heard from its heartbeats).</summary>
public sealed record FollowPrimary(string Primary, ulong Generation, string Reason) : ElectionAction;

/// <summary>This node started an election for <c>Generation</c> (for the role-change log and /status events).</summary>
public sealed record BecameCandidate(ulong Generation, string Reason) : ElectionAction;
