using System.Text;
using AkkaRepl.Server.Reads;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Resp;

/// <summary>Reads with the connection's consistency level (<c>CONSISTENCY</c>); see <see cref="IReadGate"/>.</summary>
internal sealed partial class RespConnection
{
    /// <summary><c>CONSISTENCY</c> shows this connection's level; <c>CONSISTENCY linearizable | read-your-writes LSN |
    /// bounded-staleness DURATION | eventual</c> sets it for the reads that follow.</summary>
    private KvReply SetConsistency(List<ReadOnlyMemory<byte>> argv)
    {
        if (argv.Count == 1) return KvReply.FromString(_session.Consistency.ToString());
        var words = argv.Skip(1).Select(a => Encoding.UTF8.GetString(a.Span)).ToList();
        var level = ReadConsistency.TryParse(words, out var error);
        if (level is null) return KvReply.Error("ERR " + error);
        _session.Consistency = level;
        return KvReply.Ok;
    }

    /// <summary>Reads one command at the connection's consistency level; an eventual read (the default), and a
    /// read-your-writes read whose token this node already applied, run at once without a closure or a gate step.</summary>
    private ValueTask<KvReply> ReadAsync(List<ReadOnlyMemory<byte>> argv, CancellationToken ct)
    {
        var level = _session.Consistency;
        return level.Kind == ReadConsistencyKind.Eventual || _backend.Reads is not { } gate || gate.AdmitsAtOnce(level)
            ? new ValueTask<KvReply>(_backend.Store.ExecuteRead(argv))
            : GatedReadAsync(argv, ct);
    }

    // Its own method: a lambda capturing argv in a caller would allocate its closure on every request, writes included.
    private ValueTask<KvReply> GatedReadAsync(List<ReadOnlyMemory<byte>> argv, CancellationToken ct) =>
        ConsistentReadAsync(() => _backend.Store.ExecuteRead(argv), ct);

    /// <summary>
    /// Runs <paramref name="read"/> at the connection's consistency level: admitted first (which may wait for this
    /// node's applier, or for a majority's confirmation), then completed (a linearizable read waits until what it
    /// saw is committed at quorum). Waiting is asynchronous; the connection's earlier replies are flushed first so
    /// a wait never holds them back. Eventual reads take the direct path, and so do read-your-writes reads whose token
    /// this node already applied (<see cref="IReadGate.AdmitsAtOnce"/>): one LSN comparison, no asynchronous steps.
    /// </summary>
    private async ValueTask<KvReply> ConsistentReadAsync(Func<KvReply> read, CancellationToken ct)
    {
        var level = _session.Consistency;
        if (level.Kind == ReadConsistencyKind.Eventual || _backend.Reads is not { } gate || gate.AdmitsAtOnce(level)) return read();
        var admit = gate.AdmitAsync(level, ct);
        if (!admit.IsCompleted) await ReleaseOutputAsync().ConfigureAwait(false);
        if (await admit.ConfigureAwait(false) is { } refused) return refused;
        var reply = read();
        var complete = gate.CompleteAsync(level, _backend.Store.AppliedLsn, ct);
        if (!complete.IsCompleted) await ReleaseOutputAsync().ConfigureAwait(false);
        return await complete.ConfigureAwait(false) ?? reply;
    }
}
