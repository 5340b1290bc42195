using AkkaRepl.Testing.Checkers;
using AkkaRepl.Testing.Histories;

namespace AkkaRepl.Testing.Tests.Checkers;

public sealed class LinearizabilityCheckerTests
{
    private static LinearizabilityResult Check(HistoryBuilder history, LinearizabilityOptions? options = null) =>
        new LinearizabilityChecker(options).Check(history.Build());

    private static void AssertPasses(HistoryBuilder history)
    {
        var result = Check(history);
        Assert.True(result.IsLinearizable, result.ToString());
    }

    private static LinearizabilityResult AssertFails(HistoryBuilder history)
    {
        var result = Check(history);
        Assert.True(result.Verdict == LinearizabilityVerdict.NotLinearizable, result.ToString());
        return result;
    }

    [Fact(Timeout = 30_000)]
    public async Task A_sequential_write_then_read_is_linearizable()
    {
        AssertPasses(new HistoryBuilder().Read(0, "x", null, 0, 5).Write(0, "x", "a", 10, 20).Read(1, "x", "a", 30, 40));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task A_stale_read_after_an_acknowledged_write_fails_with_a_two_operation_window()
    {
        var result = AssertFails(new HistoryBuilder()
            .Write(0, "x", "a", 0, 10)
            .Write(1, "x", "b", 20, 30)
            .Read(2, "x", "a", 40, 50));

        var key = Assert.Single(result.Keys);
        Assert.Equal(["write x := \"b\"", "read x -> \"a\""], key.FailingWindow!.Select(o => o.ToString().Split(' ', 3)[2].Split(" ok")[0]));
        Assert.Contains("smallest failing window (2 ops", result.ToString());
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task A_lost_acknowledged_write_fails()
    {
        AssertFails(new HistoryBuilder().Write(0, "x", "a", 0, 10).Read(1, "x", null, 20, 30));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task Concurrent_writes_may_take_effect_in_either_order()
    {
        HistoryBuilder With(string seen) => new HistoryBuilder()
            .Write(0, "x", "a", 0, 50)
            .Write(1, "x", "b", 10, 40)
            .Read(2, "x", seen, 60, 70);

        AssertPasses(With("a"));
        AssertPasses(With("b"));
        AssertFails(With("c"));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task Two_readers_cannot_see_concurrent_writes_in_opposite_orders()
    {
        // After both writes completed, one reader sees a then b, the other b then a: no single order explains both.
        AssertFails(new HistoryBuilder()
            .Write(0, "x", "a", 0, 50)
            .Write(1, "x", "b", 0, 50)
            .Read(2, "x", "a", 60, 70).Read(2, "x", "b", 80, 90)
            .Read(3, "x", "b", 60, 70).Read(3, "x", "a", 80, 90));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task A_read_cannot_see_a_write_invoked_after_it_completed()
    {
        var result = AssertFails(new HistoryBuilder().Read(0, "x", "b", 0, 10).Write(1, "x", "b", 20, 30));

        // The read alone, from the empty initial state, with no write overlapping it.
        Assert.Equal(OperationType.Read, Assert.Single(result.Keys[0].FailingWindow!).Type);
        Assert.Contains("from the empty initial state", result.ToString());
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task An_unknown_write_may_take_effect_late_or_never()
    {
        AssertPasses(new HistoryBuilder().Write(0, "x", "a", 0, 10).Write(1, "x", "b", 20, null).Read(2, "x", "a", 30, 40).Read(2, "x", "b", 500, 510));
        AssertPasses(new HistoryBuilder().Write(0, "x", "a", 0, 10).Write(1, "x", "b", 20, null).Read(2, "x", "a", 500, 510));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task An_unknown_write_takes_effect_at_most_once_and_not_before_its_invocation()
    {
        AssertFails(new HistoryBuilder().Write(0, "x", "a", 0, 10).Write(1, "x", "b", 20, null)
            .Read(2, "x", "b", 30, 40).Read(2, "x", "a", 50, 60));
        AssertFails(new HistoryBuilder().Read(0, "x", "b", 0, 10).Write(1, "x", "b", 20, null));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task Compare_and_set_swaps_only_from_the_expected_value()
    {
        AssertPasses(new HistoryBuilder().Write(0, "x", "a", 0, 10).Cas(1, "x", "a", "b", true, 20, 30).Read(2, "x", "b", 40, 50));
        AssertPasses(new HistoryBuilder().Write(0, "x", "c", 0, 10).Cas(1, "x", "a", "b", false, 20, 30).Read(2, "x", "c", 40, 50));
        AssertPasses(new HistoryBuilder().Cas(1, "x", null, "b", true, 0, 10).Read(2, "x", "b", 20, 30));
        AssertFails(new HistoryBuilder().Write(0, "x", "c", 0, 10).Cas(1, "x", "a", "b", true, 20, 30));
        AssertFails(new HistoryBuilder().Write(0, "x", "a", 0, 10).Cas(1, "x", "a", "b", false, 20, 30));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task An_unknown_compare_and_set_may_or_may_not_have_swapped()
    {
        AssertPasses(new HistoryBuilder().Write(0, "x", "a", 0, 10).Cas(1, "x", "a", "b", null, 20, null).Read(2, "x", "b", 40, 50));
        AssertPasses(new HistoryBuilder().Write(0, "x", "a", 0, 10).Cas(1, "x", "a", "b", null, 20, null).Read(2, "x", "a", 40, 50));
        AssertFails(new HistoryBuilder().Write(0, "x", "c", 0, 10).Cas(1, "x", "a", "b", null, 20, null).Read(2, "x", "b", 40, 50));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task Increments_are_read_modify_writes()
    {
        AssertPasses(new HistoryBuilder().Increment(0, "c", 1, 0, 10).Increment(1, "c", 2, 20, 30).Read(2, "c", "2", 40, 50));
        AssertPasses(new HistoryBuilder().Increment(0, "c", 2, 0, 50).Increment(1, "c", 1, 10, 40));
        AssertPasses(new HistoryBuilder().Increment(0, "c", null, 0, null).Increment(1, "c", 2, 10, 20));
        AssertFails(new HistoryBuilder().Increment(0, "c", 1, 0, 10).Increment(1, "c", 1, 20, 30));
        AssertFails(new HistoryBuilder().Increment(0, "c", 1, 0, 10).Read(1, "c", null, 20, 30));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task Keys_are_checked_independently_and_the_failing_one_is_named()
    {
        var result = AssertFails(new HistoryBuilder()
            .Write(0, "good", "a", 0, 10).Read(1, "good", "a", 20, 30)
            .Write(0, "bad", "a", 0, 10).Read(1, "bad", "z", 20, 30));

        Assert.Equal(LinearizabilityVerdict.Linearizable, result.Keys.Single(k => k.Key == "good").Verdict);
        Assert.Contains("key bad: NotLinearizable", result.ToString());
        Assert.DoesNotContain("key good", result.ToString());
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task The_failing_window_excludes_the_healthy_history_before_it()
    {
        var history = new HistoryBuilder();
        for (var i = 0; i < 50; i++)
            history.Write(0, "x", $"v{i}", i * 100, i * 100 + 10).Read(1, "x", $"v{i}", i * 100 + 20, i * 100 + 30);
        history.Write(0, "x", "new", 6000, 6010).Read(1, "x", "v3", 6020, 6030);

        var window = AssertFails(history).Keys[0].FailingWindow!;

        Assert.Equal(2, window.Count);
        Assert.Equal("new", window[0].Value);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task An_exhausted_budget_is_inconclusive_never_a_pass()
    {
        var history = new HistoryBuilder();
        for (var i = 0; i < 14; i++)
            history.Increment(i, "c", null, i, null);
        history.Read(99, "c", "100", 1000, 1010);

        var result = Check(history, new LinearizabilityOptions { MaxStatesPerSearch = 200 });

        Assert.Equal(LinearizabilityVerdict.Inconclusive, result.Verdict);
        Assert.Contains("state budget of 200 exceeded", result.ToString());
        await Task.CompletedTask;
    }
}
