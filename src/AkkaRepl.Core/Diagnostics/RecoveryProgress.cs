namespace AkkaRepl.Core.Diagnostics;

/// <summary>
/// How far a node's start-up has come (WAL scan, snapshot load, replay), shared between the work that advances it
/// and the readers that show it (<c>/status</c>, <c>/metrics</c>, the progress log line).
/// <para>Thread-safe: a phase is one object swapped in whole by <see cref="Begin"/> (the start-up sequence, one at a
/// time); its byte count is added to with <see cref="Interlocked"/> by any number of workers (recovery scans WAL
/// segments in parallel), or read on demand from a function the phase was begun with (replay reads the applier's
/// position, so nothing is counted twice).</para>
/// </summary>
public sealed class RecoveryProgress(TimeProvider time)
{
    private readonly DateTimeOffset _started = time.GetUtcNow();
    private volatile Phase _current = new(RecoveryPhase.Wal, 0, time.GetUtcNow(), null);

    /// <summary>Starts <paramref name="phase"/> with <paramref name="totalBytes"/> to do; <paramref name="done"/>,
    /// when given, is read for the bytes done instead of what <see cref="Advance"/> added.</summary>
    public void Begin(RecoveryPhase phase, long totalBytes, Func<long>? done = null) =>
        _current = new Phase(phase, Math.Max(0, totalBytes), time.GetUtcNow(), done);

    /// <summary>Sets the current phase's total once it is known (the WAL's size is known after listing its files).</summary>
    public void SetTotal(long totalBytes) => Interlocked.Exchange(ref _current.Total, Math.Max(0, totalBytes));

    /// <summary>Adds <paramref name="bytes"/> done to the current phase (any thread).</summary>
    public void Advance(long bytes) => Interlocked.Add(ref _current.Done, bytes);

    /// <summary>The current phase, its bytes done of its total, its rate and the time it has left.</summary>
    public RecoveryReading Read()
    {
        var phase = _current;
        var now = time.GetUtcNow();
        var total = Interlocked.Read(ref phase.Total);
        var done = Math.Clamp(phase.DoneReader?.Invoke() ?? Interlocked.Read(ref phase.Done), 0, Math.Max(total, 0));
        var elapsed = now - phase.Started;
        var rate = elapsed > TimeSpan.Zero ? done / elapsed.TotalSeconds : 0;
        TimeSpan? left = rate > 0 ? TimeSpan.FromSeconds((total - done) / rate) : null;
        return new RecoveryReading(phase.Name, done, total, rate, left, elapsed, now - _started);
    }

    private sealed class Phase(RecoveryPhase name, long total, DateTimeOffset started, Func<long>? doneReader)
    {
        public readonly RecoveryPhase Name = name;
        public readonly DateTimeOffset Started = started;
        public readonly Func<long>? DoneReader = doneReader;
        public long Total = total; // Interlocked
        public long Done;          // Interlocked
    }
}
