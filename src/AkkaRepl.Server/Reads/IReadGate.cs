using AkkaRepl.Core.Ids;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Reads;

/// <summary>
/// What a node decides about a read with a consistency level. Both steps are asynchronous waits on positions
/// (no thread is held), so any number of waiting reads costs memory only, and never blocks the applier.
/// </summary>
public interface IReadGate
{
    /// <summary>Before the read: null when this node may serve it now (after waiting, if the level needs it), else
    /// the error to answer (a <c>TRYAGAIN</c> naming the primary when another node or a retry can serve it).</summary>
    ValueTask<KvReply?> AdmitAsync(ReadConsistency level, CancellationToken ct);

    /// <summary>After the read, which saw the state up to <paramref name="seen"/>: null to answer it, else the error to
    /// answer instead. Linearizable reads wait here until what they saw is committed at quorum.</summary>
    ValueTask<KvReply?> CompleteAsync(ReadConsistency level, Lsn seen, CancellationToken ct);

    /// <summary>True when a read at <paramref name="level"/> may be served now and needs neither step: no wait before
    /// it and nothing to confirm after it (a read-your-writes token this node has already applied, the common case on
    /// a replica that keeps up). It answers exactly as the two steps would; it only skips their machinery on the hot
    /// path. The default says no, and the two steps decide.</summary>
    bool AdmitsAtOnce(ReadConsistency level) => false;
}
