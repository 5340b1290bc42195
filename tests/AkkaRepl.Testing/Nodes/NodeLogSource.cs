namespace AkkaRepl.Testing.Nodes;

/// <summary>Where a <see cref="NodeLogLine"/> came from.</summary>
public enum NodeLogSource
{
    /// <summary>The node's standard output.</summary>
    Stdout,

    /// <summary>The node's standard error.</summary>
    Stderr,

    /// <summary>The harness itself: starts, signals, exits, checkpoints.</summary>
    Harness,
}
