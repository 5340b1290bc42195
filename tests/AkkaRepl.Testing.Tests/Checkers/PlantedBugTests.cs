using AkkaRepl.Testing.Checkers;
using AkkaRepl.Testing.Fakes;
using AkkaRepl.Testing.Histories;
using AkkaRepl.Testing.Specs;
using AkkaRepl.Testing.Tests.Histories;
using Xunit.Abstractions;

namespace AkkaRepl.Testing.Tests.Checkers;

/// <summary>The checkers must catch bugs planted in a fake node driven by the real workload runner over RESP.</summary>
public sealed class PlantedBugTests(ITestOutputHelper output)
{
    [Theory(Timeout = 30_000)]
    [InlineData(1, 11)]
    [InlineData(4, 12)]
    public async Task Losing_every_50th_acknowledged_write_is_not_linearizable(int clients, int pinnedSeed)
    {
        var seed = TestSeed.Pick(output, pinnedSeed);
        // With concurrent clients a lost write is visible only when a read follows it before an overlapping write
        // explains the old value, so the run is long enough for several chances.
        await using var node = FakeNode.Start(new FakeKvFaults { LoseEveryNthAcknowledgedWrite = 50 });
        using var recorder = new HistoryRecorder();
        var run = await new WorkloadRunner(new WorkloadOptions { Seed = seed, Clients = clients, MaxOperations = 2_000 }, node.ConnectAsync).RunAsync(recorder);

        var result = new LinearizabilityChecker().Check(run.History);

        output.WriteLine($"{run}; {node.Store.LostWrites} writes lost");
        output.WriteLine(result.ToString());
        Assert.True(node.Store.LostWrites > 0, $"seed {seed}: the bug never fired");
        Assert.True(result.Verdict == LinearizabilityVerdict.NotLinearizable, $"seed {seed}: {result}");
        Assert.NotNull(result.Keys.First(k => k.Verdict == LinearizabilityVerdict.NotLinearizable).FailingWindow);
    }

    [Theory(Timeout = 30_000)]
    [InlineData(1, 21)]
    [InlineData(4, 22)]
    public async Task Losing_every_50th_acknowledged_write_shows_in_the_final_state(int clients, int pinnedSeed)
    {
        var seed = TestSeed.Pick(output, pinnedSeed);
        // Writes only, over far more keys than writes: a lost write is rarely overwritten, so the final state shows it.
        await using var node = FakeNode.Start(new FakeKvFaults { LoseEveryNthAcknowledgedWrite = 50 });
        var options = new WorkloadOptions
        {
            Seed = seed, Clients = clients, MaxOperations = 200, RegisterKeys = 1_000, CounterKeys = 0,
            ReadWeight = 0, CasWeight = 0, IncrementWeight = 0,
        };
        using var recorder = new HistoryRecorder();
        var run = await new WorkloadRunner(options, node.ConnectAsync).RunAsync(recorder);

        var result = new AcknowledgedWriteChecker().Check(run.History, node.FinalState());

        output.WriteLine($"{run}; {node.Store.LostWrites} writes lost");
        output.WriteLine(result.ToString());
        Assert.Equal(4, node.Store.LostWrites);
        Assert.False(result.Passed, $"seed {seed}: lost writes went unnoticed");
    }

    [Theory(Timeout = 30_000)]
    [InlineData(1, 31)]
    [InlineData(4, 32)]
    public async Task Serving_every_20th_read_stale_is_not_linearizable(int clients, int pinnedSeed)
    {
        var seed = TestSeed.Pick(output, pinnedSeed);
        await using var node = FakeNode.Start(new FakeKvFaults { StaleEveryNthRead = 20 });
        using var recorder = new HistoryRecorder();
        var run = await new WorkloadRunner(new WorkloadOptions { Seed = seed, Clients = clients, MaxOperations = 600 }, node.ConnectAsync).RunAsync(recorder);

        var result = new LinearizabilityChecker().Check(run.History);

        output.WriteLine($"{run}; {node.Store.StaleReads} stale reads");
        output.WriteLine(result.ToString());
        Assert.True(node.Store.StaleReads > 0, $"seed {seed}: the bug never fired");
        Assert.True(result.Verdict == LinearizabilityVerdict.NotLinearizable, $"seed {seed}: {result}");
        Assert.True(new AcknowledgedWriteChecker().Check(run.History, node.FinalState()).Passed,
            $"seed {seed}: stale reads leave the final state intact, so the acknowledged-write check must pass");
    }
}
