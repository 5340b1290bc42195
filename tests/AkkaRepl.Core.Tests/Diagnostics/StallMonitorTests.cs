using System.Collections.Concurrent;
using AkkaRepl.Core.Diagnostics;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Core.Tests.Diagnostics;

public sealed class StallMonitorTests
{
    [Fact(Timeout = 30_000)]
    public async Task A_probe_held_in_the_pool_queue_is_reported_with_how_long_it_waited()
    {
        var logger = new ListLogger();
        var queued = new BlockingCollection<IThreadPoolWorkItem>();
        using var monitor = new StallMonitor(TimeSpan.FromMilliseconds(200), logger, queued.Add);

        // A starved pool: the probe sits in the queue until this test runs it, at least 400 ms later. Held by the
        // Stopwatch, the monitor's clock: Task.Delay's timer may end a millisecond or two early by it.
        var probe = await Task.Run(() => queued.Take());
        var held = System.Diagnostics.Stopwatch.StartNew();
        while (held.Elapsed < TimeSpan.FromMilliseconds(400)) await Task.Delay(TimeSpan.FromMilliseconds(400) - held.Elapsed + TimeSpan.FromMilliseconds(1));
        var heldFor = held.Elapsed;
        probe.Execute();

        Assert.Equal(1, monitor.PoolDelays);
        // Queued before the hold began and measured after it ended: at least the hold.
        Assert.InRange(monitor.LongestPoolDelay, heldFor, TimeSpan.FromSeconds(20));
        var line = Assert.Single(logger.Lines, l => l.Contains("thread-pool work item waited", StringComparison.Ordinal));
        Assert.Matches(@"waited \d+ ms before it ran \(\d+ pool threads, \d+ items queued\): the pool is starved", line);

        // The next probe goes out once the first one ran; one that runs at once is no stall.
        var next = await Task.Run(() => queued.Take());
        next.Execute();
        Assert.Equal(1, monitor.PoolDelays);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_threshold_within_the_monitor_interval_is_refused()
    {
        var error = await Task.Run(() => Assert.Throws<ArgumentOutOfRangeException>(() => new StallMonitor(StallMonitor.Interval, new ListLogger())));
        Assert.Contains("must be longer than the monitor's interval", error.Message);
    }

    private sealed class ListLogger : ILogger
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception));
    }
}
