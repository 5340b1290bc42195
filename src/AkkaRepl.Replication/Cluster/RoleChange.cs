using AkkaRepl.Core.Ids;

namespace AkkaRepl.Replication.Cluster;

/// <summary>One role change, kept in the recent-events list on /status and logged: who, which generation, why.</summary>
public sealed record RoleChange(DateTimeOffset At, NodeId Node, NodeRole Role, Generation Generation, string? PrimaryId, string Reason);
