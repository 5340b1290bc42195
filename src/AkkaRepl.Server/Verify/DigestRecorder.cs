using System.Collections.Concurrent;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Apply;
using AkkaRepl.Storage.Digest;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Storage.StateMachine;
using AkkaRepl.Wal;

namespace AkkaRepl.Server.Verify;

/// <summary>
/// Computes a <see cref="StateDigest"/> on every node at the LSN of each digest marker: a command record holding the
/// command <c>AKKAREPL.DIGEST</c>, which the key-value store does not know and so applies without changing anything
/// (its error reply goes nowhere). A payload of its own, rather than the empty no-op record, so that other no-op
/// records never cost a digest. The primary appends a marker to ask for a
/// verification; the log carries it to every node, and each node captures its image when its applier reaches it,
/// so all digests are of the same position without pausing anyone.
/// <para>The capture runs on the applier loop (copy-on-write, O(shards)); hashing the image runs on the thread
/// pool. The last <c>keep</c> digests are held in memory for the narrowing queries of a verification: about 150 bytes
/// per key each (two hashes and the entry), so few are kept.</para>
/// </summary>
internal sealed class DigestRecorder(Func<IStateMachine> state, Func<Lsn> applied, int keep = 2) : IApplyObserver
{
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<StateDigest>> _digests = new();
    private readonly ConcurrentQueue<ulong> _order = new(); // captured LSNs, oldest first; trimmed to `keep`

    private static readonly byte[] Marker = KvStore.EncodeCommand([System.Text.Encoding.ASCII.GetBytes("AKKAREPL.DIGEST")]);

    /// <summary>The payload of a digest marker record.</summary>
    public static ReadOnlyMemory<byte> MarkerPayload => Marker;

    public void OnApplied(in WalRecord record)
    {
        if (record.Kind != WalRecordKind.Command || record.Payload.Length != Marker.Length || !record.Payload.Span.SequenceEqual(Marker)) return;
        Capture(record.EndLsn.Value);
    }

    // Its own method: the lambda's closure is allocated where its captured locals are declared, which in OnApplied
    // would be on every applied record, not only on markers.
    private void Capture(ulong endLsn)
    {
        var image = state().CaptureImage();
        var slot = Slot(endLsn);
        _ = Task.Run(() =>
        {
            try { slot.TrySetResult(StateDigest.Compute(image)); }
            catch (Exception ex) { slot.TrySetException(ex); }
        });
        _order.Enqueue(endLsn);
        while (_order.Count > keep && _order.TryDequeue(out var old)) _digests.TryRemove(old, out _);
    }

    /// <summary>The digest at marker <paramref name="lsn"/>, waiting up to <paramref name="timeout"/> for this node to apply it.</summary>
    /// <exception cref="AkkaReplException">The node applied past it without a marker there, no longer keeps it, or did not reach it in time.</exception>
    public async Task<StateDigest> GetAsync(Lsn lsn, TimeSpan timeout, CancellationToken ct)
    {
        var slot = Slot(lsn.Value);
        try
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!slot.Task.IsCompleted)
            {
                // A marker LSN is applied exactly once; past it with no digest means there was none (or it was dropped).
                if (applied() > lsn && !slot.Task.IsCompleted)
                {
                    await Task.Delay(50, ct).ConfigureAwait(false); // the hash may still be running
                    if (!slot.Task.IsCompleted && _order.Contains(lsn.Value)) continue;
                    if (!slot.Task.IsCompleted)
                        throw new AkkaReplException($"no digest at LSN {lsn} on this node: it applied past it (now at {applied()}) without a digest marker there, or the digest is no longer kept");
                }
                if (waited.Elapsed > timeout)
                    throw new AkkaReplException($"this node did not reach LSN {lsn} within {timeout.TotalSeconds:F0} s (applied {applied()})");
                await Task.WhenAny(slot.Task, Task.Delay(50, ct)).ConfigureAwait(false);
            }
            return await slot.Task.ConfigureAwait(false);
        }
        finally
        {
            if (!slot.Task.IsCompleted) _digests.TryRemove(new KeyValuePair<ulong, TaskCompletionSource<StateDigest>>(lsn.Value, slot));
        }
    }

    /// <summary>A digest already computed at <paramref name="lsn"/>, or null.</summary>
    public StateDigest? Find(Lsn lsn) =>
        _digests.TryGetValue(lsn.Value, out var slot) && slot.Task.IsCompletedSuccessfully ? slot.Task.Result : null;

    private TaskCompletionSource<StateDigest> Slot(ulong lsn) =>
        _digests.GetOrAdd(lsn, static _ => new TaskCompletionSource<StateDigest>(TaskCreationOptions.RunContinuationsAsynchronously));
}
