using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Wal.Diagnostics;
using AkkaRepl.Wal.Format;
using AkkaRepl.Wal.Io;
using AkkaRepl.Wal.Reading;
using AkkaRepl.Wal.Recovery;
using AkkaRepl.Wal.Segments;
using AkkaRepl.Wal.Writing;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace AkkaRepl.Wal;

/// <summary>
/// The write-ahead log of one node: a segmented, append-only log in one directory, written by one loop
/// over a bounded mailbox (the component design of <c>AkkaRepl.Core.Components</c>) with group commit.
/// <para>Invariant: an append completes successfully only after the bytes of its record, and of every record
/// before it, were written and fdatasync'ed; <see cref="FlushedLsn"/> never exceeds what was synced, and
/// <see cref="WrittenLsn"/> never exceeds what was handed to the OS. It holds because only the loop writes,
/// syncs and publishes these positions, and it publishes a position only after the call that makes it true
/// returned without error. A failed write or sync is never retried (after an fsync error the page cache
/// state is unknown): the writer stops, fails every pending append with <see cref="StorageUnavailableException"/>
/// and refuses new ones (fail-stop).</para>
/// <para>The loop does not reuse <c>Component&lt;T&gt;</c> itself because group commit must fail a whole
/// drained batch and everything queued with the storage error (not a wrapper) and must never restart after
/// a storage failure; the shape (one loop, bounded channel, drain a batch with TryRead) is the same.</para>
/// </summary>
public sealed class WalWriter : IAsyncDisposable
{
    private readonly string _directory;
    private readonly WalOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<WalCommand> _mailbox;
    private readonly SafeFileHandle _lockFile;
    private readonly ProgressSignal _progress = new();
    private readonly Core.Threading.ThreadParker _wake = new(); // unparked by every sender after it queued a command
    private readonly TaskCompletionSource _loopDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly object _segmentsLock = new();
    private readonly List<Segment> _segments;      // guarded by _segmentsLock; changed by the loop (roll, truncate) and RemoveSegmentsBelow (front only)
    private Task<string?>? _spare;                 // loop only: the zero-filled next segment being prepared
    private Segment _activeSegment;                // loop only (read under _segmentsLock by RemoveSegmentsBelow)
    private SafeFileHandle _activeHandle;          // loop only

    private long _writtenLsn;                      // written by the loop only, read anywhere (Volatile)
    private long _flushedLsn;                      // written by the loop only, read anywhere (Volatile)
    private long _lastGeneration;                  // written by the loop only, read anywhere (Volatile)
    private long _firstLsn;                        // written under _segmentsLock, read anywhere (Volatile)
    private ulong _nextLsn;                        // loop only: end of the log including the batch being built
    private long _lastTimestamp;                   // loop only
    private Generation _batchGeneration;           // loop only: generation of the last record in the batch being built

    private byte[] _buffer;                        // loop only: records encoded but not yet written
    private int _bufferUsed;                       // loop only
    private ulong _bufferStartLsn;                 // loop only
    private readonly List<BatchEntry> _batch = [];  // loop only
    private WalFlushedAppend[] _flushed = new WalFlushedAppend[64]; // loop only: what the flush listener is shown
    private int _lastBatchCount;                   // loop only: appends in the previous group commit
    private int _commitNow;                        // 1: a producer said all it had is queued (CommitQueued)
    private long _queued;                          // commands queued so far (any thread, after the mailbox took them)
    private long _settled;                         // commands the loop finished (committed, failed or done); loop writes
    private int _handled;                          // loop only: commands handled since the last Settle
    private long _commitTicket = long.MaxValue;    // WhenCommitted's waiter: the _settled count it waits for
    private Action? _committedSignal;              // ... and what to call then (on the loop's thread)
    private WalCommand? _inFlight;                 // loop only: the command being handled, failed too if the loop fail-stops

    private volatile Exception? _failure;          // set once by the loop when it fail-stops
    private volatile bool _stopped;                // set once when the loop ended
    private int _truncations;                      // written by the loop only; readers compare it (Volatile)
    private readonly List<(int Epoch, Lsn Lsn)> _truncationPoints = []; // guarded by _segmentsLock

    private long _syncs, _batches, _records, _bytes;
    private Diagnostics.IWalObserver? _observer;   // set by the host, read by the loop
    private IWalFlushListener? _flushListener;     // set by the host, read by the loop
    private readonly WalCompletions.BatchPool _completionBatches = new(); // one thread-pool work item per group commit
    private readonly long _bytesCut;

    private WalWriter(string directory, WalOptions options, ILogger logger, TimeProvider time, SafeFileHandle lockFile, RecoveredLog log)
    {
        _directory = directory;
        _options = options;
        _logger = logger;
        _time = time;
        _lockFile = lockFile;
        _segments = log.Segments;
        _activeSegment = _segments[^1];
        _activeHandle = log.ActiveHandle;
        _bytesCut = log.BytesCut;
        _nextLsn = _activeSegment.EndLsn.Value;
        _bufferStartLsn = _nextLsn;
        _writtenLsn = _flushedLsn = (long)_nextLsn;
        _firstLsn = (long)_segments[0].FirstLsn.Value;
        _batchGeneration = _activeSegment.LastGeneration;
        _lastGeneration = (long)_batchGeneration.Value;
        _lastTimestamp = _activeSegment.LastTimestampMicros;
        _buffer = new byte[Math.Max(64 * 1024, Math.Min(options.MaxBatchBytes, 4 * 1024 * 1024) + 64 * 1024)];
        Tail = new TailCache(options.TailCacheBytes);
        _mailbox = Channel.CreateBounded<WalCommand>(new BoundedChannelOptions(options.MailboxCapacity)
        { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        StartSpare();
        // A dedicated thread: the loop blocks in write and fdatasync for milliseconds at a time, which on a
        // small machine would starve the thread pool that the appenders' continuations need.
        new Thread(RunLoop) { IsBackground = true, Name = "wal-writer " + directory }.Start();
    }

    /// <summary>
    /// Opens (creating if missing) the WAL in <paramref name="directory"/>: takes the directory's lock file,
    /// runs recovery (cuts a torn or corrupt tail of the last segment, refuses corruption elsewhere with
    /// <see cref="StorageCorruptException"/>), then starts the writer loop.
    /// </summary>
    /// <exception cref="StorageCorruptException">A segment has an unknown version, a damaged header, a gap, or a bad record in a sealed segment.</exception>
    /// <exception cref="StorageUnavailableException">The directory or a file cannot be created, opened or written.</exception>
    /// <exception cref="ConfigException">An option is out of range.</exception>
    /// <param name="recovery">Told how far recovery's scan has come (start-up progress); null: nobody.</param>
    public static async Task<WalWriter> OpenAsync(string directory, WalOptions options, ILogger logger,
        TimeProvider? time = null, CancellationToken ct = default, Diagnostics.IWalRecoveryObserver? recovery = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        Validate(options);
        directory = Path.GetFullPath(directory);
        return await Task.Run(() =>
        {
            var lockFile = TakeLock(directory);
            try
            {
                var log = WalRecovery.Run(directory, options, logger, recovery);
                return new WalWriter(directory, options, logger, time ?? TimeProvider.System, lockFile, log);
            }
            catch
            {
                lockFile.Dispose();
                throw;
            }
        }, ct).ConfigureAwait(false);
    }

    /// <summary>The directory this WAL lives in (full path).</summary>
    public string Directory => _directory;

    /// <summary>End of the records handed to the OS (maybe not yet durable).</summary>
    public Lsn WrittenLsn => new((ulong)Volatile.Read(ref _writtenLsn));

    /// <summary>End of the records known durable. Only <see cref="TruncateAfterAsync"/> moves it back.</summary>
    public Lsn FlushedLsn => new((ulong)Volatile.Read(ref _flushedLsn));

    /// <summary>Generation of the last record in the log (<see cref="Generation.None"/> when no record was ever written).</summary>
    public Generation LastGeneration => new((ulong)Volatile.Read(ref _lastGeneration));

    /// <summary>How many commands were queued so far: a ticket for <see cref="HasSettled"/>.</summary>
    public long QueuedCommands => Interlocked.Read(ref _queued);

    /// <summary>Whether every command queued before <see cref="QueuedCommands"/> gave <paramref name="ticket"/> is done:
    /// written and synced, or failed. Polled (the switchover drains the appends it let in); <see cref="WhenCommitted"/>
    /// is the event loop's form.</summary>
    public bool HasSettled(long ticket) => Volatile.Read(ref _settled) >= ticket;

    /// <summary>First LSN still retained (raised by <see cref="RemoveSegmentsBelow"/>).</summary>
    public Lsn FirstLsn => new((ulong)Volatile.Read(ref _firstLsn));

    /// <summary>How many times the log was cut back (<see cref="TruncateAfterAsync"/>) or reset (<see cref="ResetAsync"/>)
    /// since it was opened. Read before records and compared after, it tells whether records read may be gone since.</summary>
    public int Truncations => Volatile.Read(ref _truncations);

    /// <summary>Counters since open: syncs, batches, records, bytes.</summary>
    public WalWriterStats Stats => new(Interlocked.Read(ref _syncs), Interlocked.Read(ref _batches),
        Interlocked.Read(ref _records), Interlocked.Read(ref _bytes), _bytesCut);

    /// <summary>Told about every group commit (metrics); null for none.</summary>
    public Diagnostics.IWalObserver? Observer
    {
        get => Volatile.Read(ref _observer);
        set => Volatile.Write(ref _observer, value);
    }

    /// <summary>Shown every group commit's appends on the loop thread, after their sync and before they complete
    /// (the primary's applier, so it applies its own records without waking another thread); null for none.</summary>
    public IWalFlushListener? FlushListener
    {
        get => Volatile.Read(ref _flushListener);
        set => Volatile.Write(ref _flushListener, value);
    }

    /// <summary>The storage error that stopped the writer, or null while it runs.</summary>
    public Exception? Failure => _failure;

    /// <summary>For a supervisor: completes when the writer's loop ends, normally after <see cref="StopAsync"/>,
    /// faulted with the <see cref="StorageUnavailableException"/> that stopped it (fail-stop).</summary>
    public Task Completion => _completion.Task;

    /// <summary>Test hook: returns an errno to fail the named operation ("write" or "sync") with, or 0.</summary>
    internal Func<string, int>? InjectFault { get; set; }

    /// <summary>Test hook: runs on the writer's thread after a batch's appenders were told, before the loop goes on.</summary>
    internal Action? AfterBatchCompleted { get; set; }

    /// <summary>Test hook: runs on the writer's thread after a truncation read the records it removes, before it changes
    /// any file (where retention on another thread may remove segments meanwhile).</summary>
    internal Action? BeforeTruncateCuts { get; set; }

    internal TailCache Tail { get; }

    /// <summary>
    /// Appends one record at the end of the log and completes when it is durable. The writer assigns the LSN
    /// and a commit timestamp (UTC microseconds, never below the previous record's). <paramref name="payload"/>
    /// must not change until the returned task completes. <paramref name="ct"/> only stops waiting for room in
    /// a full mailbox: once queued, the append is written.
    /// </summary>
    /// <exception cref="ArgumentException">The payload is above <see cref="WalOptions.MaxRecordBytes"/>, the kind is
    /// not defined, or the generation is <see cref="Generation.None"/> or below <see cref="LastGeneration"/>.</exception>
    /// <exception cref="StorageUnavailableException">The disk failed; the record is not acknowledged.</exception>
    public ValueTask<WalAppendResult> AppendAsync(Generation generation, WalRecordKind kind, ReadOnlyMemory<byte> payload,
        CancellationToken ct = default)
    {
        if (payload.Length > _options.MaxRecordBytes)
            throw new ArgumentException(
                $"payload of {payload.Length} bytes is above the limit of {_options.MaxRecordBytes} bytes (WalOptions.MaxRecordBytes)", nameof(payload));
        if (!Enum.IsDefined(kind)) throw new ArgumentException($"record kind {(byte)kind} is not defined", nameof(kind));
        if (generation == Generation.None) throw new ArgumentException("records cannot be written in generation 0 (None)", nameof(generation));
        var command = new AppendCommand(generation, kind, payload);
        return Enqueue(command, command.Reply, ct);
    }

    /// <summary>
    /// The allocation-free <see cref="AppendAsync"/>: queues <paramref name="request"/>'s record, and the loop completes
    /// the request itself (<see cref="WalAppendRequest.OnDurable"/> or <see cref="WalAppendRequest.OnFailed"/>) instead
    /// of a task. The returned task completes when the request is queued (at once unless the mailbox is full).
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="AppendAsync"/>; the request is not completed then.</exception>
    /// <exception cref="StorageUnavailableException">The writer stopped after a storage failure; the request is not completed then.</exception>
    public ValueTask Append(WalAppendRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Payload.Length > _options.MaxRecordBytes)
            throw new ArgumentException(
                $"payload of {request.Payload.Length} bytes is above the limit of {_options.MaxRecordBytes} bytes (WalOptions.MaxRecordBytes)", nameof(request));
        if (!Enum.IsDefined(request.Kind)) throw new ArgumentException($"record kind {(byte)request.Kind} is not defined", nameof(request));
        if (request.Generation == Generation.None) throw new ArgumentException("records cannot be written in generation 0 (None)", nameof(request));
        ThrowIfEnded();
        if (_mailbox.Writer.TryWrite(request.Command))
        {
            Interlocked.Increment(ref _queued);
            _wake.Unpark();
            return ValueTask.CompletedTask;
        }
        return QueueSlowAsync(request.Command, ct);
    }

    private async ValueTask QueueSlowAsync(WalCommand command, CancellationToken ct)
    {
        try
        {
            await _mailbox.Writer.WriteAsync(command, ct).ConfigureAwait(false);
            Interlocked.Increment(ref _queued);
        }
        catch (ChannelClosedException)
        {
            ThrowIfEnded();
            throw new InvalidOperationException($"the WAL writer at '{_directory}' is stopping and takes no more commands");
        }
        _wake.Unpark();
    }

    /// <summary>
    /// Appends records already encoded elsewhere (a replica writing what its primary sent) and completes when
    /// they are durable; returns the new end LSN. Validated first, all or nothing: every record's checksum,
    /// LSNs contiguous from <paramref name="expectedStart"/>, which must equal the log's current end, payloads
    /// within <see cref="WalOptions.MaxRecordBytes"/>, generations never going down.
    /// </summary>
    /// <exception cref="ArgumentException">(through the task) The records are invalid or do not start at the log's end; nothing was written.</exception>
    public ValueTask<Lsn> AppendEncodedAsync(ReadOnlyMemory<byte> encodedRecords, Lsn expectedStart, CancellationToken ct = default)
    {
        var command = new AppendEncodedCommand(encodedRecords, expectedStart);
        return Enqueue(command, command.Reply.Task, ct);
    }

    /// <summary>Completes when <see cref="FlushedLsn"/> is at least <paramref name="atLeast"/>.</summary>
    /// <exception cref="StorageUnavailableException">The writer failed before reaching it.</exception>
    /// <exception cref="InvalidOperationException">The writer stopped before reaching it.</exception>
    public async ValueTask WaitForFlushedAsync(Lsn atLeast, CancellationToken ct)
    {
        while (true)
        {
            var signal = _progress.Current;
            if (FlushedLsn >= atLeast) return;
            ThrowIfEnded();
            await signal.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads records from <paramref name="from"/> (a record boundary, at least <see cref="FirstLsn"/> and at most
    /// <see cref="WrittenLsn"/>) up to the <paramref name="limit"/>, then waits for more: it tails the log until
    /// <paramref name="ct"/> is cancelled. Served from the in-memory tail when possible, else from segment files.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The start is below the first retained LSN or beyond the end.</exception>
    /// <exception cref="ArgumentException">The start is not a record boundary.</exception>
    /// <exception cref="InvalidOperationException">The log was truncated below the reader's position, or the writer stopped.</exception>
    public IAsyncEnumerable<WalRecord> ReadAsync(Lsn from, WalReadLimit limit, CancellationToken ct)
        => ReadCoreAsync(from, limit, borrowed: false, ct);

    /// <summary>
    /// <see cref="ReadAsync"/> for a reader that does not keep records: a record's <see cref="WalRecord.Payload"/> is
    /// valid only until the next <c>MoveNextAsync</c> (or the enumerator's disposal), so the in-memory tail can reuse its
    /// buffers once the reader moved on (nothing allocated per record). Copy what must outlive that.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The start is below the first retained LSN or beyond the end.</exception>
    /// <exception cref="ArgumentException">The start is not a record boundary.</exception>
    /// <exception cref="InvalidOperationException">The log was truncated below the reader's position, or the writer stopped.</exception>
    public IAsyncEnumerable<WalRecord> ReadBorrowedAsync(Lsn from, WalReadLimit limit, CancellationToken ct)
        => ReadCoreAsync(from, limit, borrowed: true, ct);

    private async IAsyncEnumerable<WalRecord> ReadCoreAsync(Lsn from, WalReadLimit limit, bool borrowed, [EnumeratorCancellation] CancellationToken ct)
    {
        CheckReadStart(from);
        using var cursor = new WalCursor(this, pin: borrowed);
        cursor.Seek(from);
        int epoch = Volatile.Read(ref _truncations);
        var batch = RentReadBatch();
        try
        {
            while (true)
            {
                // The records yielded so far are done with (the caller moved on): their tail chunks may be reused.
                cursor.ReleasePins();
                ct.ThrowIfCancellationRequested();
                var signal = _progress.Current;
                epoch = CheckTruncations(epoch, cursor);
                var end = limit == WalReadLimit.Flushed ? FlushedLsn : WrittenLsn;
                if (cursor.Position < end)
                {
                    batch.Clear();
                    var start = cursor.Position;
                    int bytes = 0;
                    try
                    {
                        while (bytes < 1024 * 1024 && cursor.TryRead(end, out var record)) { batch.Add(record); bytes += record.TotalBytes; }
                    }
                    catch (Exception ex) when (ex is StorageCorruptException or ArgumentException && Volatile.Read(ref _truncations) != epoch)
                    {
                        // A truncation raced with this read; start over from the checked position.
                    }
                    if (Volatile.Read(ref _truncations) != epoch)
                    {
                        cursor.Seek(start);
                        continue;
                    }
                    foreach (var record in batch) yield return record;
                    continue;
                }
                ThrowIfEnded();
                await signal.WaitAsync(ct).ConfigureAwait(false);
            }
        }
        finally
        {
            ReturnReadBatch(batch);
        }
    }

    // A reader's batch list, reused: readers that come and go (the applier reopens one when the fast path moved past it)
    // would otherwise grow a new list, and its arrays, for every reader.
    private readonly Stack<List<WalRecord>> _readBatches = new();

    private List<WalRecord> RentReadBatch()
    {
        lock (_readBatches) return _readBatches.Count > 0 ? _readBatches.Pop() : new List<WalRecord>();
    }

    private void ReturnReadBatch(List<WalRecord> batch)
    {
        batch.Clear(); // holds no payload once back
        if (batch.Capacity > 4096) return;
        lock (_readBatches) if (_readBatches.Count < 16) _readBatches.Push(batch);
    }

    /// <summary>Reads the records in [<paramref name="from"/>, <paramref name="to"/>), both record boundaries
    /// within [<see cref="FirstLsn"/>, <see cref="WrittenLsn"/>]. Payloads are copies or read-only shared memory.</summary>
    public IReadOnlyList<WalRecord> ReadRange(Lsn from, Lsn to)
    {
        if (to < from) throw new ArgumentException($"range end {to} is before its start {from}");
        CheckReadStart(from);
        if (to > WrittenLsn) throw new ArgumentOutOfRangeException(nameof(to), $"range end {to} is beyond the end of the log ({WrittenLsn})");
        var records = new List<WalRecord>();
        using var cursor = new WalCursor(this);
        cursor.Seek(from);
        while (cursor.TryRead(to, out var record)) records.Add(record);
        if (cursor.Position != to) throw new ArgumentException($"LSN {to} is not the end of a record");
        return records;
    }

    /// <summary>
    /// Retention: deletes every whole segment that ends at or below <paramref name="lsn"/>, never the active
    /// one, then syncs the directory. Readers already past them are not affected; a later read below the new
    /// <see cref="FirstLsn"/> fails with a clear error.
    /// </summary>
    public void RemoveSegmentsBelow(Lsn lsn)
    {
        int removed = 0;
        lock (_segmentsLock)
        {
            try
            {
                while (_segments.Count > 1 && _segments[0] != _activeSegment && _segments[0].EndLsn <= lsn)
                {
                    File.Delete(_segments[0].Path);
                    _segments.RemoveAt(0);
                    removed++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new StorageUnavailableException($"removing WAL segment '{_segments[0].Path}' failed: {ex.Message}", ex);
            }
            finally
            {
                Volatile.Write(ref _firstLsn, (long)_segments[0].FirstLsn.Value);
            }
            if (removed > 0) NativeIo.SyncDirectory(_directory);
        }
        if (removed > 0) WalLog.SegmentsRemoved(_logger, removed, lsn.Value, FirstLsn.Value);
    }

    /// <summary>
    /// Cuts the log back so it ends at <paramref name="lsn"/> (a record boundary between <see cref="FirstLsn"/>
    /// and the end), after every queued append was handled; returns the removed records. Durable before it
    /// completes: later segments are deleted (newest first, so a crash leaves a contiguous prefix), the segment
    /// holding <paramref name="lsn"/> is cut and fsynced. <see cref="FlushedLsn"/> and <see cref="WrittenLsn"/>
    /// move back to <paramref name="lsn"/>; tailing readers past it fail.
    /// </summary>
    public async Task<IReadOnlyList<WalRecord>> TruncateAfterAsync(Lsn lsn, CancellationToken ct)
    {
        var command = new TruncateCommand(lsn);
        return await Enqueue(command, command.Reply.Task, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Drops the whole log and starts an empty one at <paramref name="start"/>, whose records continue after
    /// <paramref name="generation"/> (a replica rebuilt from a snapshot taken at <paramref name="start"/>).
    /// Handled after every queued append; the new segment is written and synced before the old ones are deleted,
    /// so a crash leaves either log, and callers guard the whole rebuild with a marker of their own.
    /// Tailing readers fail and must reopen from <paramref name="start"/>.
    /// </summary>
    public async Task ResetAsync(Lsn start, Generation generation, CancellationToken ct)
    {
        var command = new ResetCommand(start, generation);
        await Enqueue(command, command.Reply.Task, ct).ConfigureAwait(false);
    }

    /// <summary>Stops taking appends, finishes (writes and syncs) the queued ones, and closes the files.</summary>
    public async Task StopAsync()
    {
        _mailbox.Writer.TryComplete();
        _wake.Unpark();
        await _loopDone.Task.ConfigureAwait(false);
    }

    /// <inheritdoc cref="StopAsync"/>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>
    /// A producer that issues its appends in bursts (the RESP event loop) says its burst is queued: a group commit
    /// waiting for more appends (max-group-commit-delay) goes now, with what is queued. Only ends a wait early.
    /// </summary>
    /// <returns>A ticket for <see cref="WhenCommitted"/>: it counts every command queued so far.</returns>
    public long CommitQueued()
    {
        Interlocked.Exchange(ref _commitNow, 1);
        return Interlocked.Read(ref _queued);
    }

    /// <summary>
    /// Whether every command queued before <see cref="CommitQueued"/> gave <paramref name="ticket"/> is committed (or
    /// failed). If not, <paramref name="committed"/> is called once they are, on the writer's thread, unless
    /// <see cref="CancelCommitWait"/> came first. One waiter at a time (the node's RESP event loop).
    /// </summary>
    public bool WhenCommitted(long ticket, Action committed)
    {
        if (Volatile.Read(ref _settled) >= ticket) return true;
        _committedSignal = committed;
        Interlocked.Exchange(ref _commitTicket, ticket); // a full fence: the loop sees the ticket, or we see its count
        if (Volatile.Read(ref _settled) < ticket) return false;
        // Settled meanwhile: take the ticket back, unless the writer's thread took it first (it then calls committed).
        return Interlocked.Exchange(ref _commitTicket, long.MaxValue) != long.MaxValue;
    }

    /// <summary>The waiter of <see cref="WhenCommitted"/> stopped waiting.</summary>
    public void CancelCommitWait() => Volatile.Write(ref _commitTicket, long.MaxValue);

    /// <summary>Loop only: the commands handled so far are done; tells a waiter whose ticket they reach.</summary>
    private void Settle()
    {
        PublishSettled();
        if (Volatile.Read(ref _settled) >= Volatile.Read(ref _commitTicket)
            && Interlocked.Exchange(ref _commitTicket, long.MaxValue) != long.MaxValue)
            _committedSignal?.Invoke();
    }

    /// <summary>Loop only: counts the commands handled so far as done. A batch does it before its appenders are told,
    /// so an appender that saw its append durable also sees a ticket taken before that append as reached.</summary>
    private void PublishSettled()
    {
        if (_handled == 0) return;
        // A full fence, as in WhenCommitted: the waiter sees this count, or Settle sees its ticket.
        Interlocked.Exchange(ref _settled, _settled + _handled);
        _handled = 0;
    }

    /// <summary>Appends in the last group commit (tests: whether the next one would wait for more).</summary>
    internal int LastBatchCount => Volatile.Read(ref _lastBatchCount);

    /// <summary>The sealed segments, oldest first: every segment but the one being appended to. Their files no
    /// longer change (until retention deletes them), so they can be copied, e.g. to a WAL archive.</summary>
    public IReadOnlyList<WalSegmentInfo> SealedSegments()
    {
        lock (_segmentsLock)
            return _segments.Where(s => s != _activeSegment).Select(s => new WalSegmentInfo(s.FirstLsn, s.EndLsn, s.Path)).ToList();
    }

    internal Segment? FindSegment(Lsn lsn)
    {
        lock (_segmentsLock)
        {
            for (int i = _segments.Count - 1; i >= 0; i--)
                if (_segments[i].FirstLsn <= lsn) return _segments[i];
            return null;
        }
    }

    // ---- the loop ----

    private void RunLoop()
    {
        var reader = _mailbox.Reader;
        WalCommand? carried = null;
        try
        {
            while (true)
            {
                WalCommand command;
                if (carried is not null) { command = carried; carried = null; }
                else if (!reader.TryRead(out command!))
                {
                    // Park this, the loop's own thread, until a sender unparks it after queueing. Prepared before
                    // the second look so a command queued in between is not missed.
                    if (reader.Completion.IsCompleted) break;
                    _wake.Prepare();
                    if (reader.TryRead(out command!) is false)
                    {
                        if (reader.Completion.IsCompleted)
                        {
                            _wake.Cancel();
                            break;
                        }
                        _wake.Park();
                        continue;
                    }
                    _wake.Cancel();
                }

                if (command is TruncateCommand truncate)
                {
                    _inFlight = truncate;
                    Truncate(truncate);
                    _inFlight = null;
                    _handled++;
                    Settle();
                    continue;
                }
                if (command is ResetCommand reset)
                {
                    _inFlight = reset;
                    Reset(reset);
                    _inFlight = null;
                    _handled++;
                    Settle();
                    continue;
                }
                // Group commit: take every append already queued (up to MaxBatchBytes), one write, one sync.
                AddToBatch(command);
                long waitUntil = 0;
                while (true)
                {
                    // Taken before draining: every append the producer's signal covers is queued by now.
                    var told = Interlocked.Exchange(ref _commitNow, 0) == 1;
                    while (_bufferUsed < _options.MaxBatchBytes && reader.TryRead(out var next))
                    {
                        if (next is TruncateCommand or ResetCommand) { carried = next; break; }
                        AddToBatch(next);
                    }
                    // Appenders woken by the last commit re-append one by one; the first wakes this loop. When
                    // the last batch was bigger, give the others a moment (bounded) so they share this sync.
                    if (told || carried is not null || _batch.Count >= _lastBatchCount || _bufferUsed >= _options.MaxBatchBytes) break;
                    long now = Stopwatch.GetTimestamp();
                    if (waitUntil == 0) waitUntil = now + (long)(_options.MaxGroupCommitDelay.TotalSeconds * Stopwatch.Frequency);
                    if (now >= waitUntil) break;
                    Thread.Yield();
                }
                _lastBatchCount = _batch.Count;
                CommitBatch();
                Settle();
            }
        }
        catch (Exception ex)
        {
            FailStop(ex);
        }
        finally
        {
            lock (_segmentsLock) _activeHandle.Dispose();
            // Let a spare being prepared finish before the directory lock is released: no writes after that.
            try { _spare?.GetAwaiter().GetResult(); }
            catch (Exception ex) { WalLog.SpareFailed(_logger, _directory, ex.Message); }
            _lockFile.Dispose();
            _stopped = true;
            _progress.Pulse();
            _loopDone.TrySetResult();
            if (_failure is { } failure) _completion.TrySetException(failure); else _completion.TrySetResult();
            _wake.Dispose(); // nothing parks any more, and Unpark signals only a parked owner
        }
    }

    private void AddToBatch(WalCommand command)
    {
        _handled++; // settled with the batch's commit (or its failure)
        _inFlight = command; // a roll inside may fail; then this command is failed with the rest
        switch (command)
        {
            case AppendCommand append: AddAppend(append); break;
            case AppendEncodedCommand encoded: AddEncoded(encoded); break;
            default: command.Fail(new InvalidOperationException($"unexpected WAL command {command.GetType().Name}")); break;
        }
        _inFlight = null;
    }

    private void AddAppend(AppendCommand c)
    {
        if (c.Generation < _batchGeneration)
        {
            c.Fail(new ArgumentException($"generation {c.Generation} is below the log's last generation {_batchGeneration}: the log's generations never go down"));
            return;
        }
        int size = WalRecordCodec.EncodedSize(c.Payload.Length);
        PrepareFor(size);
        long timestamp = Math.Max(_lastTimestamp, NowMicros());
        var lsn = new Lsn(_nextLsn);
        WalRecordCodec.Encode(_buffer.AsSpan(_bufferUsed), lsn, c.Generation, timestamp, c.Kind, c.Payload.Span);
        _bufferUsed += size;
        _nextLsn += (ulong)size;
        _lastTimestamp = timestamp;
        _batchGeneration = c.Generation;
        _activeSegment.LastGeneration = c.Generation;
        _activeSegment.LastTimestampMicros = timestamp;
        _batch.Add(new BatchEntry(c, new WalAppendResult(lsn, new Lsn(_nextLsn), timestamp), default));
    }

    private void AddEncoded(AppendEncodedCommand c)
    {
        var error = ValidateEncoded(c.Records.Span, c.ExpectedStart);
        if (error is not null) { c.Fail(new ArgumentException(error)); return; }
        var span = c.Records.Span;
        int offset = 0;
        while (offset < span.Length)
        {
            WalRecordCodec.Check(span[offset..], out int size);
            PrepareFor(size);
            var record = span.Slice(offset, size);
            record.CopyTo(_buffer.AsSpan(_bufferUsed));
            _bufferUsed += size;
            _nextLsn += (ulong)size;
            _batchGeneration = WalRecordCodec.PeekGeneration(record);
            _lastTimestamp = Math.Max(_lastTimestamp, WalRecordCodec.PeekTimestamp(record));
            _activeSegment.LastGeneration = _batchGeneration;
            _activeSegment.LastTimestampMicros = WalRecordCodec.PeekTimestamp(record);
            offset += size;
        }
        _batch.Add(new BatchEntry(c, default, new Lsn(_nextLsn)));
    }

    private string? ValidateEncoded(ReadOnlySpan<byte> span, Lsn expectedStart)
    {
        if (expectedStart.Value != _nextLsn)
            return $"encoded records start at LSN {expectedStart}, but the log ends at LSN {_nextLsn}";
        int offset = 0;
        var lsn = expectedStart;
        var generation = _batchGeneration;
        while (offset < span.Length)
        {
            var result = WalRecordCodec.Check(span[offset..], out int size);
            if (result.Status == WalDecodeStatus.Incomplete)
                return $"encoded records end inside a record at byte {offset} (LSN {lsn})";
            if (result.Status == WalDecodeStatus.Corrupt)
                return $"encoded record at byte {offset} (LSN {lsn}) is corrupt: {result.CorruptReason}";
            var record = span.Slice(offset, size);
            if (WalRecordCodec.PeekLsn(record) != lsn)
                return $"encoded record at byte {offset} carries LSN {WalRecordCodec.PeekLsn(record)}, expected {lsn}";
            if (size - WalRecordCodec.HeaderBytes > _options.MaxRecordBytes)
                return $"encoded record at LSN {lsn} has a payload of {size - WalRecordCodec.HeaderBytes} bytes, above the limit of {_options.MaxRecordBytes} bytes (WalOptions.MaxRecordBytes)";
            var g = WalRecordCodec.PeekGeneration(record);
            if (g < generation)
                return $"encoded record at LSN {lsn} has generation {g}, below the log's generation {generation}";
            generation = g;
            offset += size;
            lsn += (ulong)size;
        }
        return null;
    }

    /// <summary>Makes room for a record of <paramref name="size"/> bytes: rolls to a new segment when the
    /// active one is full, and writes out the buffer when it cannot take the record.</summary>
    private void PrepareFor(int size)
    {
        if (_nextLsn - _activeSegment.FirstLsn.Value >= (ulong)_options.SegmentSizeBytes) Roll();
        if (_bufferUsed + size > _buffer.Length)
        {
            WritePending();
            if (size > _buffer.Length) _buffer = new byte[size];
        }
    }

    /// <summary>Seals the active segment (all its bytes written and synced) and starts the next one.</summary>
    private void Roll()
    {
        WritePending();
        Sync();
        // A sealed segment ends exactly at its last record: cut its unused preallocated zeroes (durably).
        long end = _activeSegment.FileOffsetOf(new Lsn(_nextLsn));
        if (RandomAccess.GetLength(_activeHandle) > end) SegmentFiles.Truncate(_activeHandle, _activeSegment.Path, end);
        var header = new SegmentHeader(new Lsn(_nextLsn), _batchGeneration, _lastTimestamp);
        string? spare = null;
        if (_spare is { IsCompleted: true } ready)
        {
            spare = ready.IsCompletedSuccessfully ? ready.Result : null;
            _spare = null;
        }
        var (segment, handle) = SegmentFiles.Create(_directory, header, spare);
        StartSpare();
        lock (_segmentsLock)
        {
            _activeHandle.Dispose();
            _segments.Add(segment);
            _activeSegment = segment;
            _activeHandle = handle;
        }
        WalLog.SegmentStarted(_logger, segment.Path, segment.FirstLsn.Value);
    }

    /// <summary>Starts preparing the next zero-filled segment in the background, unless one is on its way.
    /// A failure only means the next segment is not preallocated.</summary>
    private void StartSpare()
    {
        if (!_options.PreallocateSegments || _spare is not null) return;
        // A spare left by an earlier run is reused when it has the right size (its content is zeroes or
        // unwritten blocks, which read as zeroes; either way only the speed of later syncs depends on it).
        string existing = Path.Combine(_directory, SegmentFiles.SpareName);
        if (File.Exists(existing) && new FileInfo(existing).Length == SegmentHeader.Bytes + _options.SegmentSizeBytes)
        {
            _spare = Task.FromResult<string?>(existing);
            return;
        }
        // A thread of its own, not a pool thread: preallocating and syncing a segment blocks for a while, once per segment
        // under a bulk load, and on 2 cores a blocked pool thread delays everything queued behind it (heartbeat acks).
        _spare = Task.Factory.StartNew(() =>
        {
            try { return SegmentFiles.CreateSpare(_directory, _options.SegmentSizeBytes); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or StorageUnavailableException)
            {
                WalLog.SpareFailed(_logger, _directory, ex.Message);
                return (string?)null;
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Hands the encoded records to the OS and publishes <see cref="WrittenLsn"/>.</summary>
    private void WritePending()
    {
        if (_bufferUsed == 0) return;
        var bytes = _buffer.AsSpan(0, _bufferUsed);
        long offset = _activeSegment.FileOffsetOf(new Lsn(_bufferStartLsn));
        try
        {
            int errno = InjectFault?.Invoke("write") ?? 0;
            if (errno != 0) throw NativeIo.ErrnoException(errno);
            RandomAccess.Write(_activeHandle, bytes, offset);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageUnavailableException(
                $"write of {bytes.Length} bytes to WAL file '{_activeSegment.Path}' at offset {offset} failed: {ex.Message}", ex);
        }
        Tail.Add(new Lsn(_bufferStartLsn), bytes);
        Interlocked.Add(ref _bytes, _bufferUsed);
        _bufferStartLsn = _nextLsn;
        _bufferUsed = 0;
        _activeSegment.EndLsn = new Lsn(_nextLsn);
        Volatile.Write(ref _writtenLsn, (long)_nextLsn);
        Volatile.Write(ref _lastGeneration, (long)_batchGeneration.Value);
        _progress.Pulse();
    }

    /// <summary>fdatasync of the active segment; publishes <see cref="FlushedLsn"/> only after it returned.</summary>
    private void Sync()
    {
        var written = Volatile.Read(ref _writtenLsn);
        if (written == Volatile.Read(ref _flushedLsn)) return;
        int errno = InjectFault?.Invoke("sync") ?? 0;
        if (errno != 0) throw NativeIo.Failure($"fdatasync of WAL file '{_activeSegment.Path}'", errno);
        NativeIo.DataSync(_activeHandle, _activeSegment.Path);
        Interlocked.Increment(ref _syncs);
        Volatile.Write(ref _flushedLsn, written);
    }

    private void CommitBatch()
    {
        var started = Stopwatch.GetTimestamp();
        var bytesBefore = Interlocked.Read(ref _bytes);
        WritePending();
        var written = Stopwatch.GetTimestamp();
        var syncsBefore = Interlocked.Read(ref _syncs);
        Sync();
        if (Volatile.Read(ref _observer) is { } observer && _batch.Count > 0)
            observer.BatchCommitted(_batch.Count, Interlocked.Read(ref _bytes) - bytesBefore, Stopwatch.GetElapsedTime(started, written),
                Interlocked.Read(ref _syncs) == syncsBefore ? TimeSpan.Zero : Stopwatch.GetElapsedTime(written));
        PublishSettled(); // Sync returned: before the appenders hear it (Settle, after this, tells the ticket's waiter)
        if (_batch.Count > 0) CompleteBatch();
        _batch.Clear();
        _progress.Pulse();
        AfterBatchCompleted?.Invoke();
    }

    /// <summary>Tells the batch's flush listener and requests that their records are durable (Sync returned). What their
    /// completions hand to <see cref="WalCompletions.Run"/> on this thread is queued as one work item at the end.</summary>
    private void CompleteBatch()
    {
        var completions = WalCompletions.Open(_completionBatches);
        try
        {
            if (Volatile.Read(ref _flushListener) is { } listener) ShowFlushed(listener);
            foreach (var entry in _batch)
            {
                switch (entry.Command)
                {
                    case AppendCommand a: a.Durable(entry.Appended); Interlocked.Increment(ref _records); break;
                    case AppendEncodedCommand e: e.Reply.TrySetResult(entry.EncodedEnd); break;
                }
            }
        }
        finally { WalCompletions.Close(completions); }
        Interlocked.Increment(ref _batches);
    }

    /// <summary>Shows the flush listener the batch's appends (their records are durable: Sync returned).</summary>
    private void ShowFlushed(IWalFlushListener listener)
    {
        if (_flushed.Length < _batch.Count) _flushed = new WalFlushedAppend[Math.Max(_batch.Count, 2 * _flushed.Length)];
        int n = 0;
        bool complete = true;
        foreach (var entry in _batch)
        {
            if (entry.Command is AppendCommand a)
            {
                var r = entry.Appended;
                _flushed[n++] = new WalFlushedAppend(new WalRecord(r.Lsn, a.Generation, r.CommitTimestampMicros, a.Kind, a.Payload), a.Request);
            }
            else complete = false;
        }
        try { listener.OnFlushed(_flushed.AsSpan(0, n), complete); }
        catch (Exception ex) { WalLog.ListenerFailed(_logger, ex, _directory, ex.Message); } // its own failure, not the log's
        finally { Array.Clear(_flushed, 0, n); } // don't keep payloads alive
    }

    private void Truncate(TruncateCommand c)
    {
        var lsn = c.Lsn;
        var end = new Lsn(_nextLsn);
        IReadOnlyList<WalRecord> removed;
        try
        {
            if (lsn > end) throw new ArgumentOutOfRangeException(nameof(c), $"cannot truncate after LSN {lsn}: the log ends at LSN {end}");
            removed = ReadRange(lsn, end); // also checks that lsn is a record boundary and retained
        }
        catch (Exception ex) when (ex is ArgumentException)
        {
            c.Fail(ex);
            return;
        }
        if (removed.Count == 0) { c.Reply.TrySetResult(removed); return; }
        BeforeTruncateCuts?.Invoke();

        lock (_segmentsLock)
        {
            // Checked again under the lock: retention (another thread) may have removed the segment holding lsn since the
            // read above, and with no segment to keep the loop below would delete every segment, the active one included.
            int keep = _segments.FindLastIndex(s => s.FirstLsn <= lsn);
            if (keep < 0)
            {
                c.Fail(new ArgumentOutOfRangeException(nameof(c), $"LSN {lsn} is no longer retained: the first retained LSN is {FirstLsn}"));
                return;
            }
            // Announce before changing anything, so a reader that raced with the change notices it.
            Volatile.Write(ref _truncations, _truncations + 1);
            _truncationPoints.Add((_truncations, lsn));
            for (int i = _segments.Count - 1; i > keep; i--)
            {
                if (_segments[i] == _activeSegment) _activeHandle.Dispose();
                try { File.Delete(_segments[i].Path); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new StorageUnavailableException($"removing WAL segment '{_segments[i].Path}' during truncation failed: {ex.Message}", ex);
                }
                _segments.RemoveAt(i);
            }
            NativeIo.SyncDirectory(_directory);
            var segment = _segments[keep];
            if (segment != _activeSegment)
            {
                _activeHandle = SegmentFiles.OpenWrite(segment.Path);
                _activeSegment = segment;
            }
            SegmentFiles.Truncate(_activeHandle, segment.Path, segment.FileOffsetOf(lsn));
            // The generation of the new last record: the last one kept in this segment, or the header's.
            var generation = segment.Header.PreviousGeneration;
            long timestamp = segment.Header.PreviousTimestampMicros;
            if (lsn > segment.FirstLsn)
            {
                var last = LastRecordBefore(segment, lsn);
                generation = last.Generation;
                timestamp = last.CommitTimestampMicros;
            }
            segment.LastGeneration = generation;
            segment.LastTimestampMicros = timestamp;
            segment.EndLsn = lsn;
            _batchGeneration = generation;
            _nextLsn = _bufferStartLsn = lsn.Value;
            Tail.TruncateAfter(lsn);
            Volatile.Write(ref _writtenLsn, (long)lsn.Value);
            Volatile.Write(ref _flushedLsn, (long)lsn.Value);
            Volatile.Write(ref _lastGeneration, (long)generation.Value);
        }
        WalLog.Truncated(_logger, lsn.Value, removed.Count, end - lsn);
        _progress.Pulse();
        c.Reply.TrySetResult(removed);
    }

    private void Reset(ResetCommand c)
    {
        lock (_segmentsLock)
        {
            Volatile.Write(ref _truncations, _truncations + 1); // readers notice and fail
            _truncationPoints.Add((_truncations, Lsn.Zero));
            var old = _segments.ToList();
            _activeHandle.Dispose();
            // A segment for the new start may share a name with an old one: delete that one first.
            foreach (var s in old.Where(s => s.FirstLsn == c.Start)) File.Delete(s.Path);
            var (segment, handle) = SegmentFiles.Create(_directory, new SegmentHeader(c.Start, c.Generation, 0));
            foreach (var s in old.Where(s => s.FirstLsn != c.Start)) File.Delete(s.Path);
            NativeIo.SyncDirectory(_directory);
            _segments.Clear();
            _segments.Add(segment);
            _activeSegment = segment;
            _activeHandle = handle;
            _batchGeneration = c.Generation;
            _nextLsn = _bufferStartLsn = c.Start.Value;
            Tail.TruncateAfter(Lsn.Zero);
            Volatile.Write(ref _firstLsn, (long)c.Start.Value);
            Volatile.Write(ref _writtenLsn, (long)c.Start.Value);
            Volatile.Write(ref _flushedLsn, (long)c.Start.Value);
            Volatile.Write(ref _lastGeneration, (long)c.Generation.Value);
        }
        WalLog.Truncated(_logger, c.Start.Value, 0, 0);
        _progress.Pulse();
        c.Reply.TrySetResult(true);
    }

    private WalRecord LastRecordBefore(Segment segment, Lsn lsn)
    {
        using var handle = SegmentFiles.OpenRead(segment.Path);
        var scanner = new SegmentScanner(handle, segment, 1024 * 1024);
        WalRecord last = default;
        while (scanner.Next(segment.FileOffsetOf(lsn), out var bytes, out var reason) is var status && status != ScanStatus.End)
        {
            if (status != ScanStatus.Record)
                throw new StorageCorruptException($"WAL segment '{segment.Path}' is corrupt at offset {scanner.Offset}: {reason}");
            WalRecordCodec.TryDecode(bytes.Span, out last, out _);
        }
        return last;
    }

    private void FailStop(Exception ex)
    {
        var failure = ex as StorageUnavailableException
            ?? new StorageUnavailableException($"WAL writer at '{_directory}' failed: {ex.Message}", ex);
        _failure = failure;
        _mailbox.Writer.TryComplete();
        WalLog.WriterFailed(_logger, failure, _directory, failure.Message);
        foreach (var entry in _batch) entry.Command.Fail(failure);
        _batch.Clear();
        _inFlight?.Fail(failure);
        while (_mailbox.Reader.TryRead(out var queued)) queued.Fail(failure);
    }

    // ---- helpers ----

    private async ValueTask<T> Enqueue<T>(WalCommand command, Task<T> reply, CancellationToken ct)
    {
        ThrowIfEnded();
        if (_mailbox.Writer.TryWrite(command))
        {
            Interlocked.Increment(ref _queued);
            _wake.Unpark();
        }
        else await QueueSlowAsync(command, ct).ConfigureAwait(false);
        return await reply.ConfigureAwait(false);
    }

    /// <summary>One command of the group commit being built and what it will be told once durable.</summary>
    private readonly record struct BatchEntry(WalCommand Command, WalAppendResult Appended, Lsn EncodedEnd);

    private void ThrowIfEnded()
    {
        if (_failure is { } failure)
            throw new StorageUnavailableException($"the WAL writer at '{_directory}' stopped after a storage failure: {failure.Message}", failure);
        if (_stopped || _mailbox.Reader.Completion.IsCompleted)
            throw new InvalidOperationException($"the WAL writer at '{_directory}' is stopped");
    }

    private void CheckReadStart(Lsn from)
    {
        if (from < FirstLsn)
            throw new ArgumentOutOfRangeException(nameof(from), $"LSN {from} is no longer retained: the first retained LSN is {FirstLsn}");
        if (from > WrittenLsn)
            throw new ArgumentOutOfRangeException(nameof(from), $"LSN {from} is beyond the end of the log ({WrittenLsn})");
    }

    private int CheckTruncations(int seenEpoch, WalCursor cursor)
    {
        int now = Volatile.Read(ref _truncations);
        if (now == seenEpoch) return now;
        lock (_segmentsLock)
        {
            foreach (var (epoch, lsn) in _truncationPoints)
                if (epoch > seenEpoch && lsn < cursor.Position)
                    throw new InvalidOperationException(
                        $"the WAL was truncated after LSN {lsn}, below this reader's position {cursor.Position}: records it already returned were removed");
        }
        cursor.Seek(cursor.Position);
        return now;
    }

    private long NowMicros() => (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / 10;

    // What .NET reports when another handle holds the lock: flock's EWOULDBLOCK (11) on Linux, ERROR_SHARING_VIOLATION on Windows.
    private static bool IsLockConflict(IOException ex) => ex.HResult is 11 or 35 or unchecked((int)0x80070020);

    private static SafeFileHandle TakeLock(string directory)
    {
        try
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageUnavailableException($"creating WAL directory '{directory}' failed: {ex.Message}", ex);
        }
        string path = Path.Combine(directory, "wal.lock");
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Unix: a second writer fails here.
            return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (IsLockConflict(ex))
        {
            throw new StorageUnavailableException(
                $"the WAL directory '{directory}' is in use by another writer (cannot lock '{path}': {ex.Message})", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageUnavailableException($"opening the WAL lock file '{path}' failed: {ex.Message}", ex);
        }
    }

    private static void Validate(WalOptions o)
    {
        if (o.SegmentSizeBytes < 4096)
            throw new ConfigException($"akkarepl.wal.segment-size-bytes must be at least 4096 (was {o.SegmentSizeBytes})");
        if (o.MaxBatchBytes < 1)
            throw new ConfigException($"akkarepl.wal.max-batch-bytes must be at least 1 (was {o.MaxBatchBytes})");
        if (o.MaxRecordBytes < 1 || o.MaxRecordBytes > WalRecordCodec.MaxPayloadBytes)
            throw new ConfigException($"akkarepl.wal.max-record-bytes must be between 1 and {WalRecordCodec.MaxPayloadBytes} (was {o.MaxRecordBytes})");
        if (o.TailCacheBytes < 0)
            throw new ConfigException($"akkarepl.wal.tail-cache-bytes must be 0 (off) or more (was {o.TailCacheBytes})");
        if (o.MaxGroupCommitDelay < TimeSpan.Zero || o.MaxGroupCommitDelay > TimeSpan.FromMilliseconds(100))
            throw new ConfigException($"akkarepl.wal.max-group-commit-delay must be between 0 (no wait) and 100ms (was {o.MaxGroupCommitDelay})");
        if (o.MailboxCapacity < 1)
            throw new ConfigException($"akkarepl.wal.mailbox-capacity must be at least 1 (was {o.MailboxCapacity})");
    }
}
