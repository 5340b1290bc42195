using AkkaRepl.Core.Ids;

namespace AkkaRepl.Replication.Replica;

/// <summary>
/// An upstream's heartbeat as a replica received it. The upstream sends one only when it has sent all the log it
/// had written, so every record committed before <see cref="TimestampMicros"/> (upstream clock) lies below
/// <see cref="ReceivedEnd"/>: once a replica applied up to there, its state is fresh as of that time.
/// </summary>
/// <param name="Upstream">Who sent it (the primary, or a replica for a cascaded link).</param>
/// <param name="TimestampMicros">The upstream's clock when it sent the heartbeat, microseconds since the Unix epoch.</param>
/// <param name="ReceivedEnd">End of the log this replica had received when the heartbeat arrived.</param>
public sealed record UpstreamHeartbeat(NodeId Upstream, long TimestampMicros, Lsn ReceivedEnd);
