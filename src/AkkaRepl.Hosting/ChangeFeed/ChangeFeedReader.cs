using System.Globalization;
using System.Runtime.CompilerServices;
using AkkaRepl.Core.Ids;
using AkkaRepl.Hosting.Node;
using AkkaRepl.Hosting.StateMachines;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Wal;

namespace AkkaRepl.Hosting.ChangeFeed;

/// <summary>
/// The <see cref="IChangeFeed"/> of the embedded node: tails the local WAL and hands out each command record once
/// the applier passed it.
/// <para>A named subscriber's position is two small files. <c>NAME.position</c> is rewritten (temp name, rename) after
/// every handled change without an fsync: a process crash keeps it, and it costs no disk sync per change.
/// <c>NAME.position.synced</c> is written the same way but synced, file and directory, at the first change and then
/// at most once a second and when the subscriber stops. After a power cut the first may be empty or torn (a rename
/// can reach the disk before the data it names); <see cref="PositionOf"/> then falls back to the synced one, which
/// is older, so a crash only repeats changes and never skips one.</para>
/// </summary>
internal sealed class ChangeFeedReader(EmbeddedNode embedded) : IChangeFeed
{
    private static readonly TimeSpan SyncedEvery = TimeSpan.FromSeconds(1);

    public async IAsyncEnumerable<AppliedChange> ReadAsync(Lsn from, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var node = embedded.Running;
        var wal = node.Wal;
        if (from < wal.FirstLsn) throw new ChangeFeedGapException(from, wal.FirstLsn);
        var records = wal.ReadAsync(from, WalReadLimit.Flushed, ct).GetAsyncEnumerator(ct);
        await using (records.ConfigureAwait(false))
        {
            while (true)
            {
                AppliedChange? change;
                try { change = await NextAsync(node, records, ct).ConfigureAwait(false); }
                catch (Exception e) when (embedded.StoppedUnder(e, ct)) { throw EmbeddedNode.StoppedWhileWaiting(); }
                if (change is null) yield break;
                yield return change;
            }
        }
    }

    /// <summary>The next command record once applied; null at the end of the log (the reader stopped).</summary>
    private async Task<AppliedChange?> NextAsync(Server.Node.NodeHost node, IAsyncEnumerator<WalRecord> records, CancellationToken ct)
    {
        while (await records.MoveNextAsync().ConfigureAwait(false))
        {
            var record = records.Current;
            if (record.Kind != WalRecordKind.Command || record.Payload.IsEmpty) continue;
            await node.Applier.WaitForAppliedAsync(record.EndLsn, ct).ConfigureAwait(false);
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
        return null;
    }

    public async IAsyncEnumerable<AppliedChange> FollowAsync(string subscriber, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var file = PositionFile(subscriber);
        var from = PositionOf(subscriber);
        Lsn handled = from, synced = from;
        long syncedAt = 0; // Stopwatch ticks; 0: never, so the first handled change is synced
        try
        {
            await foreach (var change in ReadAsync(from, ct).ConfigureAwait(false))
            {
                yield return change;
                // The subscriber asked for the next change: this one is handled. The synced file goes first at the
                // first change, so a position file never exists without a synced one beside it.
                handled = change.EndLsn;
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

    public Lsn PositionOf(string subscriber)
    {
        var file = PositionFile(subscriber);
        if (!File.Exists(file)) return Lsn.Zero;
        if (TryReadPosition(file, out var lsn, out var text)) return lsn;
        // Empty or torn after a power cut: the synced position is older, so resuming there only repeats changes.
        if (TryReadPosition(file + ".synced", out var older, out _)) return older;
        throw new Core.Errors.StorageCorruptException(
            $"the change feed position file {file} holds '{text}', not an LSN, and {Path.GetFileName(file)}.synced has none either: delete both to start the subscriber over");
    }

    private static bool TryReadPosition(string file, out Lsn lsn, out string text)
    {
        lsn = Lsn.Zero;
        text = "";
        if (!File.Exists(file)) return false;
        text = File.ReadAllText(file).Trim();
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)) return false;
        lsn = new Lsn(value);
        return true;
    }

    private static void WritePosition(string file, Lsn position, bool sync) =>
        Core.Io.AtomicFile.Replace(file, stream => stream.Write(System.Text.Encoding.ASCII.GetBytes(position.Value.ToString(CultureInfo.InvariantCulture))), durable: sync);

    private string PositionFile(string subscriber)
    {
        if (!NodeId.IsValid(subscriber))
            throw new ArgumentException($"subscriber name '{subscriber}' is not valid: use 1-64 characters of letters, digits, '-', '_' or '.'", nameof(subscriber));
        var dir = Path.Combine(Path.GetFullPath(embedded.Options!.Node.DataDir), "feeds");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, subscriber + ".position");
    }
}
