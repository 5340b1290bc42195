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
/// the applier passed it. Positions are small files written to a temp name and renamed (no fsync: a position lost in
/// a crash only repeats changes, it never skips one).
/// </summary>
internal sealed class ChangeFeedReader(EmbeddedNode embedded) : IChangeFeed
{
    public async IAsyncEnumerable<AppliedChange> ReadAsync(Lsn from, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var node = embedded.Running;
        var wal = node.Wal;
        if (from < wal.FirstLsn) throw new ChangeFeedGapException(from, wal.FirstLsn);
        await foreach (var record in wal.ReadAsync(from, WalReadLimit.Flushed, ct).ConfigureAwait(false))
        {
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
            yield return new AppliedChange(record.Generation, record.Lsn, record.EndLsn,
                DateTimeOffset.UnixEpoch.AddTicks(record.CommitTimestampMicros * 10), command, description, payload);
        }
    }

    public async IAsyncEnumerable<AppliedChange> FollowAsync(string subscriber, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var file = PositionFile(subscriber);
        await foreach (var change in ReadAsync(PositionOf(subscriber), ct).ConfigureAwait(false))
        {
            yield return change;
            // The subscriber asked for the next change: this one is handled.
            var temp = file + ".tmp";
            await File.WriteAllTextAsync(temp, change.EndLsn.Value.ToString(CultureInfo.InvariantCulture), CancellationToken.None).ConfigureAwait(false);
            File.Move(temp, file, overwrite: true);
        }
    }

    public Lsn PositionOf(string subscriber)
    {
        var file = PositionFile(subscriber);
        if (!File.Exists(file)) return Lsn.Zero;
        var text = File.ReadAllText(file).Trim();
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var lsn)
            ? new Lsn(lsn)
            : throw new Core.Errors.StorageCorruptException($"the change feed position file {file} holds '{text}', not an LSN: delete it to start the subscriber over");
    }

    private string PositionFile(string subscriber)
    {
        if (!NodeId.IsValid(subscriber))
            throw new ArgumentException($"subscriber name '{subscriber}' is not valid: use 1-64 characters of letters, digits, '-', '_' or '.'", nameof(subscriber));
        var dir = Path.Combine(Path.GetFullPath(embedded.Options!.Node.DataDir), "feeds");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, subscriber + ".position");
    }
}
