using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Apply;
using AkkaRepl.Wal;

namespace AkkaRepl.Replication.Primary;

/// <summary>
/// The primary's write path: append a command to the WAL (group commit makes concurrent writes share one
/// fdatasync), then hand back the state machine's reply once the applier applied it.
/// <para>A write is never abandoned half way: once handed to the WAL it is not cancelled, so it is either in
/// the log and applied, or failed as a whole. Cancelling a call only stops the caller's wait.</para>
/// </summary>
public sealed class PrimaryWriter
{
    private readonly WalWriter _wal;
    private readonly Applier _applier;
    private readonly Func<Generation> _generation;
    private readonly Func<bool> _acceptsWrites;

    public PrimaryWriter(WalWriter wal, Applier applier, Func<Generation> generation, Func<bool> acceptsWrites)
    {
        _wal = wal;
        _applier = applier;
        _generation = generation;
        _acceptsWrites = acceptsWrites;
    }

    public async Task<WriteOutcome> WriteAsync(ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (!_acceptsWrites()) throw new AkkaReplException("this node does not accept writes: it is not the primary");
        var generation = _generation();
        var appended = await _wal.AppendAsync(generation, WalRecordKind.Command, payload, CancellationToken.None)
            .ConfigureAwait(false);
        var result = await _applier.ClaimResultAsync(appended.Lsn).WaitAsync(ct).ConfigureAwait(false);
        return new WriteOutcome(generation, appended.Lsn, appended.EndLsn, appended.CommitTimestampMicros, result);
    }
}
