namespace AkkaRepl.Replication.Replica;

/// <summary>The state of a replica's link to its upstream.</summary>
public enum UpstreamLinkState
{
    Disconnected,
    Connecting,
    Streaming,
    NeedsRebuild,
    Rebuilding,
    CatchingUpFromArchive,
    Refused,
}
