using System.Runtime.CompilerServices;
using AkkaRepl.Core.Ids;
using AkkaRepl.Hosting.Node;
using AkkaRepl.Hosting.StateMachines;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Wal;

namespace AkkaRepl.Hosting.ChangeFeed;

/// <summary>
/// The <see cref="IChangeFeed"/> of the embedded node: tails the local WAL and hands out each command record once
/// the applier passed it.
/// <para>A reader's place (<see cref="FeedPlace"/>) is checked against this node's log when it starts and whenever the log
/// is cut back or reset under it (a divergence, a rebuild). A place no longer in the log ends the read with
/// <see cref="ChangeFeedDivergedException"/>, a place behind the retained log with <see cref="ChangeFeedGapException"/>;
/// a cut above the place only makes the reader read on from it. So a reader is never handed a record read from the
/// middle of another, nor led past records it was not handed.</para>
/// <para>A named subscriber's position is two small files, each holding its place (<see cref="FeedPlace.ToText"/>).
/// <c>NAME.position</c> is rewritten (temp name, rename) after every handled change without an fsync: a process crash
/// keeps it, and it costs no disk sync per change. <c>NAME.position.synced</c> is written the same way but synced, file
/// and directory, at the first change and then at most once a second and when the subscriber stops. After a power cut
/// the first may be empty or torn (a rename can reach the disk before the data it names); <see cref="PositionOf"/> then
/// falls back to the synced one, which is older, so a crash only repeats changes and never skips one.</para>
/// </summary>
internal sealed class ChangeFeedReader(EmbeddedNode embedded) : IChangeFeed
{
    private static readonly TimeSpan SyncedEvery = TimeSpan.FromSeconds(1);

    public IAsyncEnumerable<AppliedChange> ReadAsync(Lsn from, CancellationToken ct = default) => ReadAsync(from, null, ct);

    /// <summary>A place given as an LSN alone: taken as a position in this node's log as it is now.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lsn"/> is beyond the end of the log.</exception>
    private static FeedPlace PlaceIn(Server.Node.NodeHost node, Lsn lsn)
    {
        var end = node.Wal.WrittenLsn;
        if (lsn > end) throw new ArgumentOutOfRangeException(nameof(lsn), $"LSN {lsn} is beyond the end of this node's log ({end})");
        return new FeedPlace(lsn, node.History.Entries);
    }

    /// <param name="from">Where to start when <paramref name="place"/> is null.</param>
    /// <param name="place">The reader's place, moved on as changes are handed out; null: <paramref name="from"/> in this
    /// node's log as it is now.</param>
    private async IAsyncEnumerable<AppliedChange> ReadAsync(Lsn from, FeedPlace? place, [EnumeratorCancellation] CancellationToken ct)
    {
        var node = embedded.Running;
        place ??= PlaceIn(node, from);
        while (true)
        {
            // A pass reads the log with one WAL reader. It ends when the log was cut back or reset under it while the
            // place is still in the log (what was cut was only read ahead): the next pass reads on from the place.
            var cuts = node.Wal.Truncations;
            Check(node, place);
            var records = node.Wal.ReadAsync(place.Lsn, WalReadLimit.Flushed, ct).GetAsyncEnumerator(ct);
            await using (records.ConfigureAwait(false))
            {
                while (true)
                {
                    (AppliedChange? Change, bool ReadAgain) next;
                    try { next = await NextAsync(node, records, place, cuts, ct).ConfigureAwait(false); }
                    catch (Exception e) when (embedded.StoppedUnder(e, ct)) { throw EmbeddedNode.StoppedWhileWaiting(); }
                    if (next.ReadAgain) break;
                    if (next.Change is not { } change) yield break;
                    place.HandOut(change);
                    yield return change;
                }
            }
            place.ForgetReadAhead();
        }
    }

    /// <summary>
    /// The next command record once applied; ReadAgain when the log was cut back or reset under the reader and the place
    /// is still in it; neither at the end of the log (the reader stopped).
    /// </summary>
    /// <exception cref="ChangeFeedPositionException">The place is no longer in the log, or no longer kept.</exception>
    private async Task<(AppliedChange? Change, bool ReadAgain)> NextAsync(
        Server.Node.NodeHost node, IAsyncEnumerator<WalRecord> records, FeedPlace place, int cuts, CancellationToken ct)
    {
        try
        {
            while (await records.MoveNextAsync().ConfigureAwait(false))
            {
                var record = records.Current;
                if (record.Kind == WalRecordKind.GenerationStart) place.ReadGenerationStart(record.Generation, record.Lsn);
                if (record.Kind != WalRecordKind.Command || record.Payload.IsEmpty) continue;
                await node.Applier.WaitForAppliedAsync(record.EndLsn, ct).ConfigureAwait(false);
                // A cut while this waited may have removed the record: the applier then waited for the ones that replaced it.
                if (node.Wal.Truncations != cuts) return (null, true);
                return (Describe(record), false);
            }
            return (null, false);
        }
        catch (Exception e) when (e is not OperationCanceledException && !embedded.StoppedUnder(e, ct))
        {
            // The log changed under the reader: retention trimmed what it needs next, or a cut or a reset removed records
            // it had read. The place tells which, and whether the reader can read on.
            Check(node, place);
            if (node.Wal.Truncations != cuts) return (null, true);
            throw;
        }
    }

    /// <summary>Throws when <paramref name="place"/> is no longer in this node's log: past where the log was cut back,
    /// or behind the oldest record kept.</summary>
    private static void Check(Server.Node.NodeHost node, FeedPlace place)
    {
        var wal = node.Wal;
        // The log's end, not the history's: between a cut and the history's trim, the history still names generations
        // that the log no longer holds.
        var common = node.History.CommonPoint(wal.WrittenLsn, place.History, place.Lsn);
        if (common < place.Lsn) throw new ChangeFeedDivergedException(place.Lsn, common);
        var first = wal.FirstLsn;
        if (place.Lsn < first) throw new ChangeFeedGapException(place.Lsn, first);
    }

    private AppliedChange Describe(WalRecord record)
    {
        var payload = record.Payload.ToArray(); // the reader's buffers are reused
        object? command = null;
        string description;
        if (CommandCodec.IsApplicationCommand(payload))
        {
            command = embedded.CurrentApp()?.DecodeCommand(payload);
            description = command?.ToString() ?? "(an application command this node does not run)";
        }
        else description = KvStore.Describe(payload);
        return new AppliedChange(record.Generation, record.Lsn, record.EndLsn,
            DateTimeOffset.UnixEpoch.AddTicks(record.CommitTimestampMicros * 10), command, description, payload);
    }

    public async IAsyncEnumerable<AppliedChange> FollowAsync(string subscriber, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var file = PositionFile(subscriber);
        var (from, history) = SavedPlace(file);
        // A position saved by an earlier version has no history: it is taken as a position in the log as it is now.
        var place = history is null ? PlaceIn(embedded.Running, from) : new FeedPlace(from, history);
        var handled = place.ToText();
        var synced = handled;
        long syncedAt = 0; // Stopwatch ticks; 0: never, so the first handled change is synced
        try
        {
            await foreach (var change in ReadAsync(place.Lsn, place, ct).ConfigureAwait(false))
            {
                yield return change;
                // The subscriber asked for the next change: this one is handled, and the place is just past it. The synced
                // file goes first at the first change, so a position file never exists without a synced one beside it.
                handled = place.ToText();
                if (syncedAt == 0 || System.Diagnostics.Stopwatch.GetElapsedTime(syncedAt) >= SyncedEvery)
                {
                    WritePosition(file + ".synced", handled, sync: true);
                    (synced, syncedAt) = (handled, System.Diagnostics.Stopwatch.GetTimestamp());
                }
                WritePosition(file, handled, sync: false);
            }
        }
        finally
        {
            if (handled != synced) WritePosition(file + ".synced", handled, sync: true); // the subscriber stopped
        }
    }

    public void SetPosition(string subscriber, Lsn position)
    {
        var file = PositionFile(subscriber);
        var text = PlaceIn(embedded.Running, position).ToText();
        WritePosition(file + ".synced", text, sync: true);
        WritePosition(file, text, sync: true);
    }

    public Lsn PositionOf(string subscriber) => SavedPlace(PositionFile(subscriber)).Lsn;

    /// <summary>The place saved in <paramref name="file"/>: Zero with an empty history when the subscriber never ran, a
    /// null history when an earlier version saved the LSN alone.</summary>
    private static (Lsn Lsn, List<GenerationStart>? History) SavedPlace(string file)
    {
        if (!File.Exists(file)) return (Lsn.Zero, []);
        if (TryReadPlace(file, out var saved, out var text)) return saved;
        // Empty or torn after a power cut: the synced position is older, so resuming there only repeats changes.
        if (TryReadPlace(file + ".synced", out var older, out _)) return older;
        throw new Core.Errors.StorageCorruptException(
            $"the change feed position file {file} holds '{text.Trim()}', not a position, and {Path.GetFileName(file)}.synced has none either: delete both to start the subscriber over");
    }

    private static bool TryReadPlace(string file, out (Lsn Lsn, List<GenerationStart>? History) place, out string text)
    {
        place = default;
        text = "";
        if (!File.Exists(file)) return false;
        text = File.ReadAllText(file);
        if (!FeedPlace.TryParse(text, out var lsn, out var history)) return false;
        place = (lsn, history);
        return true;
    }

    private static void WritePosition(string file, string place, bool sync) =>
        Core.Io.AtomicFile.Replace(file, stream => stream.Write(System.Text.Encoding.ASCII.GetBytes(place)), durable: sync);

    private string PositionFile(string subscriber)
    {
        if (!NodeId.IsValid(subscriber))
            throw new ArgumentException($"subscriber name '{subscriber}' is not valid: use 1-64 characters of letters, digits, '-', '_' or '.'", nameof(subscriber));
        var dir = Path.Combine(Path.GetFullPath(embedded.Options!.Node.DataDir), "feeds");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, subscriber + ".position");
    }
}
