namespace AkkaRepl.Testing.Nodes;

/// <summary>A node did not announce readiness: it exited first or timed out. The message carries its log.</summary>
public sealed class NodeStartException(string message) : Exception(message);
