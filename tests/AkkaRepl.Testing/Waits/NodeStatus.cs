using System.Text.Json;

namespace AkkaRepl.Testing.Waits;

/// <summary>The fields of a node's <c>GET /status</c> that specs wait on; <see cref="Raw"/> holds the whole document.</summary>
/// <param name="NodeId">The node's id.</param>
/// <param name="Role">"primary", "replica" or whatever the node reports.</param>
/// <param name="Generation">The generation the node is in.</param>
/// <param name="WrittenLsn">Last LSN written to the local WAL.</param>
/// <param name="FlushedLsn">Last LSN flushed (durable) locally.</param>
/// <param name="AppliedLsn">Last LSN applied to the state machine.</param>
/// <param name="Raw">The full JSON document, for fields added later.</param>
public sealed record NodeStatus(
    string NodeId, string Role, long Generation, long WrittenLsn, long FlushedLsn, long AppliedLsn, JsonElement Raw)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{NodeId} {Role} gen={Generation} written={WrittenLsn} flushed={FlushedLsn} applied={AppliedLsn}";
}
