namespace AkkaRepl.Client.Topology;

/// <summary>A node's role as its <c>ROLE</c> reply tells it.</summary>
public enum NodeRoleKind { Unknown, Primary, Replica }
