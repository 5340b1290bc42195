using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Storage.Kv;
using Resp = AkkaRepl.Server.Reads;

namespace AkkaRepl.Hosting.Store;

/// <summary>
/// The waits and checks that make a read as fresh as its <see cref="ReadConsistency"/> asks. Bounded staleness and
/// linearizable go through the node's <see cref="Resp.NodeReadGate"/>, the same code that serves RESP's
/// <c>CONSISTENCY</c>, so the two front ends cannot drift apart:
/// <list type="bullet">
/// <item>read-your-writes: wait until the token is applied (until cancelled);</item>
/// <item>bounded staleness: the gate's freshness check (apply lag from commit timestamps and the primary's
/// heartbeats);</item>
/// <item>linearizable: on the primary only; the gate confirms leadership with a majority (read-index round), then
/// everything applied so far (every acknowledged write was applied before it was acknowledged) must be committed at
/// quorum; after reading, the value's own LSN must be, so a value a failover could take away is never shown (G6).</item>
/// </list>
/// </summary>
internal static class ConsistentReads
{
    /// <summary>What a read at <paramref name="consistency"/> waits for before it reads (a wait the node's stop ends
    /// throws <see cref="Node.NodeNotRunningException"/>).</summary>
    public static Task BeforeAsync(Node.EmbeddedNode embedded, ReadConsistency consistency, CancellationToken ct) =>
        embedded.UntilStoppedAsync(BeforeCoreAsync(embedded, consistency, ct), ct);

    /// <summary>What a read at <paramref name="consistency"/> of a value written at <paramref name="valueLsn"/> waits for
    /// before it answers (as <see cref="BeforeAsync"/>).</summary>
    public static Task AfterAsync(Node.EmbeddedNode embedded, ReadConsistency consistency, Lsn valueLsn, CancellationToken ct) =>
        embedded.UntilStoppedAsync(AfterCoreAsync(embedded, consistency, valueLsn, ct), ct);

    private static async Task BeforeCoreAsync(Node.EmbeddedNode embedded, ReadConsistency consistency, CancellationToken ct)
    {
        var node = embedded.Running;
        switch (consistency.Kind)
        {
            case ReadConsistencyKind.Eventual:
                break;
            case ReadConsistencyKind.ReadYourWrites:
                await node.Applier.WaitForAppliedAsync(consistency.Token, ct).ConfigureAwait(false);
                break;
            case ReadConsistencyKind.BoundedStaleness:
                // The public constructor takes any bound: one that is not positive could never be met.
                if (consistency.Bound <= TimeSpan.Zero)
                    throw new ArgumentOutOfRangeException(nameof(consistency), consistency.Bound, "a bounded-staleness read needs a positive bound");
                Refuse(embedded, consistency, await embedded.Reads.AdmitAsync(Resp.ReadConsistency.BoundedStaleness(consistency.Bound), ct).ConfigureAwait(false));
                break;
            case ReadConsistencyKind.Linearizable:
                if (!node.AcceptsWrites) throw new NotPrimaryException(node.Coordinator.PrimaryId);
                Refuse(embedded, consistency, await embedded.Reads.AdmitAsync(Resp.ReadConsistency.Linearizable, ct).ConfigureAwait(false));
                Refuse(embedded, consistency, await embedded.Reads.CompleteAsync(Resp.ReadConsistency.Linearizable, node.Applier.AppliedLsn, ct).ConfigureAwait(false));
                break;
            default: // a cast from a number that is no kind: served as eventual it would promise what it does not keep
                throw new ArgumentOutOfRangeException(nameof(consistency), consistency.Kind, "not a read consistency kind");
        }
    }

    private static async Task AfterCoreAsync(Node.EmbeddedNode embedded, ReadConsistency consistency, Lsn valueLsn, CancellationToken ct)
    {
        if (consistency.Kind == ReadConsistencyKind.Linearizable)
            Refuse(embedded, consistency, await embedded.Reads.CompleteAsync(Resp.ReadConsistency.Linearizable, valueLsn, ct).ConfigureAwait(false));
    }

    /// <summary>Turns the gate's refusal (a <c>TRYAGAIN ...</c> error reply) into the typed exception.</summary>
    private static void Refuse(Node.EmbeddedNode embedded, ReadConsistency consistency, KvReply? refusal)
    {
        if (refusal is not { IsError: true, Text: { } text }) return;
        const string Code = "TRYAGAIN ";
        throw new ReadNotServedException(consistency, embedded.Running.Coordinator.PrimaryId,
            text.StartsWith(Code, StringComparison.Ordinal) ? text[Code.Length..] : text);
    }
}
