namespace AkkaRepl.Replication.Primary;

/// <summary>The state of one replica's link, as status shows it.</summary>
public enum ReplicaLinkState
{
    /// <summary>No connection.</summary>
    Disconnected,
    /// <summary>Connected and reading log older than what was current when it connected.</summary>
    CatchingUp,
    /// <summary>Connected and receiving new records as they are written.</summary>
    Streaming,
    /// <summary>The log it needs is gone; it must rebuild from a snapshot.</summary>
    NeedsRebuild,
    /// <summary>Receiving a snapshot.</summary>
    Rebuilding,
}
