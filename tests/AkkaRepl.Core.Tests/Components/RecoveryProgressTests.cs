using AkkaRepl.Core.Diagnostics;

namespace AkkaRepl.Core.Tests.Components;

public sealed class RecoveryProgressTests
{
    private sealed class StepClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact(Timeout = 5_000)]
    public async Task A_phase_reports_percent_rate_and_time_left_from_bytes_added_by_several_workers()
    {
        var clock = new StepClock();
        var progress = new RecoveryProgress(clock);
        progress.Begin(RecoveryPhase.Wal, 0);
        progress.SetTotal(100 * 1024 * 1024);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => { for (var i = 0; i < 10; i++) progress.Advance(1024 * 1024); })));
        clock.Now += TimeSpan.FromSeconds(2);

        var reading = progress.Read();
        Assert.Equal(RecoveryPhase.Wal, reading.Phase);
        Assert.Equal(40.0, reading.Percent, 3);
        Assert.Equal(20.0 * 1024 * 1024, reading.BytesPerSecond, 3);
        Assert.Equal(TimeSpan.FromSeconds(3), reading.Remaining);
        Assert.Equal("wal 40.0% (40.0 of 100.0 MiB) at 20.0 MiB/s, about 3 s left", reading.Describe());
    }

    [Fact(Timeout = 5_000)]
    public async Task A_phase_begun_with_a_reader_reads_its_progress_and_is_clamped_to_its_total()
    {
        await Task.Yield();
        var clock = new StepClock();
        var progress = new RecoveryProgress(clock);
        long applied = 0;
        progress.Begin(RecoveryPhase.Replay, 1000, () => applied);
        Assert.Null(progress.Read().Remaining); // no rate yet: no estimate, rather than a false one
        applied = 250;
        clock.Now += TimeSpan.FromSeconds(1);
        Assert.Equal(25.0, progress.Read().Percent, 3);
        applied = 5000;
        Assert.Equal(100.0, progress.Read().Percent, 3);
        progress.Begin(RecoveryPhase.Starting, 0);
        Assert.Equal(100.0, progress.Read().Percent, 3);
        Assert.Equal(TimeSpan.FromSeconds(1), progress.Read().Elapsed);
    }
}
