using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Storage.Snapshots;
using AkkaRepl.Storage.StateMachine;
using AkkaRepl.Wal;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Replication.Apply;

/// <summary>
/// Takes periodic snapshots (checkpoints) and trims the WAL behind them. The image is captured on the
/// applier loop (so it is exactly the state at one LSN) and written out on a background task.
/// <para>Invariant: WAL segments are only removed below the oldest snapshot still kept, so falling back from a
/// corrupt newest snapshot to the previous one still finds every record after it.</para>
/// A failed snapshot is not a data loss (the WAL still holds everything): it is logged and retried at the next
/// interval, and <see cref="LastError"/> shows it.
/// </summary>
public sealed partial class Checkpointer : IApplyObserver
{
    private readonly SnapshotOptions _options;
    private IStateMachine _state; // replaced by Reset, on the applier loop's owner while the loop is stopped
    private readonly WalWriter _wal;
    private readonly ILogger _logger;
    private readonly SnapshotStore _store;
    private readonly Func<Lsn> _retentionFloor;
    private readonly Archive.WalArchive? _archive;
    private readonly Func<bool> _archives;
    private Task _writing = Task.CompletedTask; // replaced only on the applier loop
    private ulong _lastSnapshotLsn;             // written by the background writer, read anywhere
    private ulong _lastCaptureLsn;              // written only on the applier loop
    private long _lastSnapshotBytes;            // size of the newest snapshot on disk; sets the next interval

    /// <param name="retentionFloor">The lowest LSN others still need from this log (replicas catching up); segments
    /// at or above it are kept even when every snapshot is newer.</param>
    public Checkpointer(string directory, SnapshotOptions options, IStateMachine state, WalWriter wal, ILoggerFactory loggers,
        Func<Lsn>? retentionFloor = null, Archive.WalArchive? archive = null, Func<bool>? archives = null)
    {
        _archive = archive;
        _archives = archives ?? (() => archive is not null);
        _retentionFloor = retentionFloor ?? (() => wal.WrittenLsn);
        _options = options;
        _state = state;
        _wal = wal;
        _logger = loggers.CreateLogger<Checkpointer>();
        _store = new SnapshotStore(directory, options, loggers.CreateLogger<SnapshotStore>());
    }

    /// <summary>LSN of the newest snapshot on disk (zero when none).</summary>
    public Lsn LastSnapshotLsn => new(Volatile.Read(ref _lastSnapshotLsn));

    /// <summary>The last snapshot failure, or null when the last attempt succeeded.</summary>
    public string? LastError { get; private set; }

    /// <summary>Completes when no snapshot is being written.</summary>
    public Task Completion => _writing;

    /// <summary>Restores the newest valid snapshot into the state machine; returns its LSN (zero: none, replay all).
    /// <paramref name="loading"/> and <paramref name="read"/> report the bytes read as it goes (see <see cref="SnapshotStore.LoadLatest"/>).</summary>
    public Lsn RestoreLatest(Action<long>? loading = null, Action<long>? read = null) => RestoreInto(_state, loading, read);

    /// <summary>
    /// Before the log is cut back to <paramref name="cut"/>: deletes the snapshots taken past the cut (they hold state
    /// of records about to go) and syncs the directory. Done before the cut is made durable: a crash or power cut
    /// after the log was cut but before these deletions were durable left (or brought back) a snapshot past the log's
    /// end, holding the rolled-back state; the next start refused the data directory, or, once the log had grown
    /// past that LSN again, loaded the rolled-back state silently.
    /// </summary>
    public void DiscardAfter(Lsn cut)
    {
        _writing.Wait();
        var past = _store.List().Where(s => s.Lsn > cut).ToList();
        if (past.Count == 0) return;
        foreach (var snapshot in past) File.Delete(snapshot.Path);
        _store.SyncDirectory();
    }

    /// <summary>
    /// After the log was cut back to <paramref name="cut"/>: deletes snapshots taken past the cut (normally
    /// <see cref="DiscardAfter"/> did already), then restores the newest remaining one into <paramref name="fresh"/>,
    /// which becomes the state snapshots are taken of. Returns the restored LSN (zero: replay from the start of the log).
    /// </summary>
    public Lsn ResetTo(Lsn cut, IStateMachine fresh)
    {
        DiscardAfter(cut);
        _state = fresh;
        return RestoreInto(fresh);
    }

    /// <summary>
    /// Makes <paramref name="fresh"/> (restored from a received snapshot) the state snapshots are taken of, and
    /// writes it as the only snapshot on disk, so a restart starts from it rather than asking for a rebuild again.
    /// </summary>
    public void Adopt(IStateMachine fresh)
    {
        _writing.Wait();
        foreach (var snapshot in _store.List()) File.Delete(snapshot.Path);
        var written = _store.Write(fresh.CaptureImage());
        _state = fresh;
        Volatile.Write(ref _lastSnapshotBytes, written.SizeBytes);
        Volatile.Write(ref _lastSnapshotLsn, written.Lsn.Value);
        _lastCaptureLsn = written.Lsn.Value;
    }

    /// <summary>Starts receiving a snapshot at <paramref name="lsn"/> into this node's snapshot directory (see
    /// <see cref="SnapshotInstall"/>); it is not a snapshot of this node until <see cref="Adopt(IStateMachine, SnapshotInstall)"/>.</summary>
    public SnapshotInstall BeginInstall(Lsn lsn) => _store.BeginInstall(lsn);

    /// <summary>
    /// Makes <paramref name="fresh"/> (restored from the received, checked and sealed <paramref name="received"/>) the
    /// state snapshots are taken of, and installs <paramref name="received"/> as the only snapshot on disk (no second
    /// write of the image), so a restart starts from it rather than asking for a rebuild again.
    /// </summary>
    public void Adopt(IStateMachine fresh, SnapshotInstall received)
    {
        if (fresh.AppliedLsn != received.Lsn)
            throw new InvalidOperationException($"the state is at LSN {fresh.AppliedLsn}, but the received snapshot at {received.Lsn}");
        _writing.Wait();
        var installed = _store.Install(received);
        _state = fresh;
        Volatile.Write(ref _lastSnapshotBytes, installed.SizeBytes);
        Volatile.Write(ref _lastSnapshotLsn, installed.Lsn.Value);
        _lastCaptureLsn = installed.Lsn.Value;
    }

    private Lsn RestoreInto(IStateMachine target, Action<long>? loading = null, Action<long>? read = null)
    {
        var lsn = _store.LoadLatest(target, loading, read) ?? Lsn.Zero;
        Volatile.Write(ref _lastSnapshotBytes, _store.List().FirstOrDefault(s => s.Lsn == lsn)?.SizeBytes ?? 0);
        Volatile.Write(ref _lastSnapshotLsn, lsn.Value);
        _lastCaptureLsn = lsn.Value;
        return lsn;
    }

    public void OnApplied(in WalRecord record)
    {
        if (!_options.Enabled || !_writing.IsCompleted) return;
        if (record.EndLsn.Value - _lastCaptureLsn < NextIntervalBytes) return;
        _lastCaptureLsn = record.EndLsn.Value;
        StartWrite(_state.CaptureImage());
    }

    /// <summary>Log to apply before the next snapshot: the configured interval, or the newest snapshot's size times
    /// <see cref="SnapshotOptions.LogToStateRatio"/> when that is more, so a node writes at most 1/ratio bytes of
    /// snapshot per byte of log however large its state is (a 1 GiB state rewritten every 256 MiB kept every node's
    /// disk and both cores busy for the whole of a bulk load).</summary>
    internal ulong NextIntervalBytes =>
        (ulong)Math.Max(_options.IntervalBytes, (long)Math.Min(long.MaxValue / 2, Volatile.Read(ref _lastSnapshotBytes) * _options.LogToStateRatio));

    // Its own method: a lambda capturing a local of OnApplied would allocate its closure on every applied record, at
    // the method's entry, before the early returns.
    // On a thread of its own (LongRunning), not a pool thread: writing and syncing a snapshot of a large state blocks
    // for seconds, and on a 2-core machine the pool has two threads; one held that long starved the heartbeat
    // acknowledgements queued behind it until the pool grew, and the primary lost its 500 ms lease during bulk loads.
    private void StartWrite(IStateImage image) =>
        _writing = Task.Factory.StartNew(static s => { var (self, img) = ((Checkpointer, IStateImage))s!; self.Write(img); },
            (this, image), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Takes a snapshot now, off the applier loop (used by tools and at shutdown).</summary>
    public Task StopAsync() => _writing;

    private void Write(IStateImage image)
    {
        try
        {
            var written = _store.Write(image);
            Volatile.Write(ref _lastSnapshotBytes, written.SizeBytes);
            Volatile.Write(ref _lastSnapshotLsn, image.Lsn.Value);
            LastError = null;
            // Keep the log from the oldest snapshot still on disk: falling back to it must find every record after it.
            var kept = _store.List();
            // With an archive, segments leave the log only once they are in the archive (a failed copy throws and
            // nothing is trimmed this time).
            if (_archive is not null && _archives()) _archive.ArchiveSealed(_wal.SealedSegments());
            if (kept.Count > 0) _wal.RemoveSegmentsBelow(Lsn.Min(kept[^1].Lsn, _retentionFloor()));
            LogSnapshotWritten(_logger, image.Lsn.Value);
        }
        catch (Exception ex)
        {
            LastError = ex.Message;
            LogSnapshotFailed(_logger, image.Lsn.Value, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot written at LSN {Lsn}")]
    private static partial void LogSnapshotWritten(ILogger logger, ulong lsn);

    [LoggerMessage(Level = LogLevel.Error, Message = "Snapshot at LSN {Lsn} failed (the WAL still holds everything; retrying at the next interval): {Error}")]
    private static partial void LogSnapshotFailed(ILogger logger, ulong lsn, string error);
}
