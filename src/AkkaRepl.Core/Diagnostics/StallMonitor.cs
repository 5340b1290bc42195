using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Core.Diagnostics;

/// <summary>
/// Notices when the process stops running for a while, the way a lease notices it: a thread of its own wakes every
/// <see cref="Interval"/>, and a wake-up that comes much later than asked means every thread was held up (a GC that
/// suspended the runtime, or no core to run on). It also sends a probe through the thread pool each time, and a probe
/// that waits long before it runs means the pool was starved (every worker busy or blocked) while the process ran.
/// Either is logged once as a warning with what the GC did in that time (and, on Linux, how much CPU time the
/// hypervisor took from the machine: a stall with no GC in it is the host or the kernel, not this process); counts
/// and the longest of each since start are kept for <c>/status</c> and <c>/metrics</c>. A primary's lease (500 ms by
/// default) lapses on a stall of about that length; this is how an operator tells which kind it was.
/// </summary>
public sealed partial class StallMonitor : IThreadPoolWorkItem, IDisposable
{
    /// <summary>How often the monitor's own thread wakes.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100); // 10 wake-ups a second: ~1.3 ms of CPU per second on this VM

    private readonly TimeSpan _threshold;
    private readonly ILogger _logger;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _stop = new(false, spinCount: 0); // no spinning before each sleep: it wakes 10 times a second
    private readonly Action<IThreadPoolWorkItem> _enqueue; // how the probe enters the pool (tests hold it up)
    private long _probeQueuedAt;          // Stopwatch timestamp; 0 while no probe is in the pool
    private long _longestPauseTicks, _longestPoolDelayTicks, _pauses, _poolDelays; // TimeSpan ticks; counts since start

    /// <summary>Starts the monitor; stalls of <paramref name="threshold"/> or longer are logged.</summary>
    public StallMonitor(TimeSpan threshold, ILogger logger) : this(threshold, logger, static item => ThreadPool.UnsafeQueueUserWorkItem(item, preferLocal: false))
    {
    }

    /// <summary>Tests pass the queue the probe goes through (a pool they hold up at will).</summary>
    internal StallMonitor(TimeSpan threshold, ILogger logger, Action<IThreadPoolWorkItem> enqueue)
    {
        _enqueue = enqueue;
        if (threshold <= Interval) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, $"must be longer than the monitor's interval ({Interval.TotalMilliseconds} ms)");
        _threshold = threshold;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "akkarepl-stall-monitor" };
        _thread.Start();
    }

    /// <summary>Stalls of the whole process (GC or no CPU) at or above the threshold, since start.</summary>
    public long Pauses => Interlocked.Read(ref _pauses);

    /// <summary>Thread-pool queue delays at or above the threshold, since start.</summary>
    public long PoolDelays => Interlocked.Read(ref _poolDelays);

    /// <summary>The longest process stall seen since start (any length).</summary>
    public TimeSpan LongestPause => TimeSpan.FromTicks(Interlocked.Read(ref _longestPauseTicks));

    /// <summary>The longest thread-pool queue delay of a probe seen since start (any length).</summary>
    public TimeSpan LongestPoolDelay => TimeSpan.FromTicks(Interlocked.Read(ref _longestPoolDelayTicks));

    private void Run()
    {
        var last = Stopwatch.GetTimestamp();
        var gcPause = GC.GetTotalPauseDuration();
        // /proc/stat is costly to read (the kernel formats every CPU's and interrupt's counters): once a second, and
        // at a stall, which is then told the steal since the last reading (the stall and up to a second before it).
        using var stealClock = new StealClock();
        var (steal, stealAt, ticks) = (stealClock.Read(), last, 0);
        int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
        while (!_stop.Wait(Interval))
        {
            var now = Stopwatch.GetTimestamp();
            var late = Stopwatch.GetElapsedTime(last, now) - Interval;
            last = now;
            Max(ref _longestPauseTicks, late.Ticks);
            var gcNow = GC.GetTotalPauseDuration();
            int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
            if (late >= _threshold)
            {
                Interlocked.Increment(ref _pauses);
                var gc = GC.GetGCMemoryInfo(GCKind.Any); // the newest GC: what it copied tells a GC pause's cause
                var stealNow = stealClock.Read();
                var stolen = stealNow - steal is { } s ? $"{s:0} ms in the last {Stopwatch.GetElapsedTime(stealAt, now).TotalMilliseconds:0} ms" : "unknown";
                (steal, stealAt, ticks) = (stealNow, now, 0);
                LogPaused(_logger, late.TotalMilliseconds, (gcNow - gcPause).TotalMilliseconds, stolen, g0 - gen0, g1 - gen1, g2 - gen2,
                    gc.Generation, gc.PromotedBytes >> 20, gc.Compacted ? "compacting" : "sweeping", gc.HeapSizeBytes >> 20);
            }
            (gcPause, gen0, gen1, gen2) = (gcNow, g0, g1, g2);
            if (++ticks >= 10) (steal, stealAt, ticks) = (stealClock.Read(), now, 0);

            var queued = Volatile.Read(ref _probeQueuedAt);
            if (queued == 0)
            {
                Volatile.Write(ref _probeQueuedAt, now);
                _enqueue(this);
            }
        }
    }

    /// <summary>The probe ran: how long it waited in the pool's queue.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        var queued = Volatile.Read(ref _probeQueuedAt);
        if (queued == 0) return;
        var waited = Stopwatch.GetElapsedTime(queued);
        Max(ref _longestPoolDelayTicks, waited.Ticks);
        if (waited >= _threshold)
        {
            Interlocked.Increment(ref _poolDelays);
            LogPoolDelayed(_logger, waited.TotalMilliseconds, ThreadPool.ThreadCount, ThreadPool.PendingWorkItemCount);
        }
        Volatile.Write(ref _probeQueuedAt, 0);
    }

    private static void Max(ref long slot, long value)
    {
        var seen = Volatile.Read(ref slot);
        while (value > seen)
        {
            var was = Interlocked.CompareExchange(ref slot, value, seen);
            if (was == seen) return;
            seen = was;
        }
    }

    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The process stalled {Milliseconds:0} ms (GC pauses in that time: {GcMilliseconds:0} ms; CPU time the hypervisor took from this machine (steal, all cores): {Steal}; collections gen0 +{Gen0}, gen1 +{Gen1}, gen2 +{Gen2}; the last GC: gen{LastGeneration}, {PromotedMiB} MiB promoted, {Kind}, heap {HeapMiB} MiB); a stall near the lease's length costs a primary its lease")]
    private static partial void LogPaused(ILogger logger, double milliseconds, double gcMilliseconds, string steal, int gen0, int gen1, int gen2,
        int lastGeneration, long promotedMiB, string kind, long heapMiB);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A thread-pool work item waited {Milliseconds:0} ms before it ran ({Threads} pool threads, {Pending} items queued): the pool is starved, and heartbeats and acknowledgements wait with it")]
    private static partial void LogPoolDelayed(ILogger logger, double milliseconds, int threads, long pending);
}
