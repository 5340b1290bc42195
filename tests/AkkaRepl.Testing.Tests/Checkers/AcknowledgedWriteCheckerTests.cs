using AkkaRepl.Testing.Checkers;

namespace AkkaRepl.Testing.Tests.Checkers;

public sealed class AcknowledgedWriteCheckerTests
{
    private static AcknowledgedWriteResult Check(HistoryBuilder history, params (string Node, (string Key, string? Value)[] State)[] nodes) =>
        new AcknowledgedWriteChecker().Check(history.Build(), nodes.ToDictionary(
            n => n.Node,
            n => (IReadOnlyDictionary<string, string?>)n.State.ToDictionary(kv => kv.Key, kv => kv.Value)));

    [Fact(Timeout = 30_000)]
    public async Task The_last_acknowledged_write_on_every_node_passes()
    {
        var history = new HistoryBuilder().Write(0, "x", "a", 0, 10).Write(1, "x", "b", 20, 30);

        var result = Check(history, ("n1", [("x", "b")]), ("n2", [("x", "b")]));

        Assert.True(result.Passed, result.ToString());
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task An_older_value_after_a_later_acknowledged_write_is_a_lost_write()
    {
        var history = new HistoryBuilder().Write(0, "x", "a", 0, 10).Write(1, "x", "b", 20, 30);

        var result = Check(history, ("n1", [("x", "a")]));

        var violation = Assert.Single(result.Violations);
        Assert.Contains("x on n1", violation);
        Assert.Contains("write x := \"b\"", violation);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task Either_of_two_concurrent_acknowledged_writes_may_survive()
    {
        var history = new HistoryBuilder().Write(0, "x", "a", 0, 50).Write(1, "x", "b", 10, 40);

        Assert.True(Check(history, ("n1", [("x", "a")])).Passed);
        Assert.True(Check(history, ("n1", [("x", "b")])).Passed);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task A_later_write_of_unknown_outcome_may_replace_an_acknowledged_one_but_absence_may_not()
    {
        var history = new HistoryBuilder().Write(0, "x", "a", 0, 10).Write(1, "x", "b", 20, null);

        Assert.True(Check(history, ("n1", [("x", "b")])).Passed);
        Assert.True(Check(history, ("n1", [("x", "a")])).Passed);
        Assert.Contains("absent", Assert.Single(Check(history, ("n1", [])).Violations));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task A_value_nobody_wrote_is_reported()
    {
        var history = new HistoryBuilder().Write(0, "x", "a", 0, 10);

        Assert.Contains("never written", Assert.Single(Check(history, ("n1", [("x", "zzz")])).Violations));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task A_successful_compare_and_set_counts_as_an_acknowledged_write()
    {
        var history = new HistoryBuilder().Write(0, "x", "a", 0, 10).Cas(1, "x", "a", "b", true, 20, 30).Cas(1, "x", "q", "c", false, 40, 50);

        Assert.True(Check(history, ("n1", [("x", "b")])).Passed);
        Assert.Single(Check(history, ("n1", [("x", "a")])).Violations);
        Assert.Single(Check(history, ("n1", [("x", "c")])).Violations);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task Nodes_that_disagree_are_reported()
    {
        var history = new HistoryBuilder().Write(0, "x", "a", 0, 50).Write(1, "x", "b", 10, 40);

        var result = Check(history, ("n1", [("x", "a")]), ("n2", [("x", "b")]));

        Assert.Contains("x: nodes disagree: n1=\"a\", n2=\"b\"", result.Violations);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task A_counter_must_hold_every_acknowledged_increment_and_no_more_than_the_unknown_ones()
    {
        var history = new HistoryBuilder().Increment(0, "c", 1, 0, 10).Increment(1, "c", 2, 20, 30).Increment(2, "c", 3, 40, 50).Increment(3, "c", null, 60, null);

        Assert.True(Check(history, ("n1", [("c", "3")])).Passed);
        Assert.True(Check(history, ("n1", [("c", "4")])).Passed);
        Assert.Contains("1 acknowledged increment(s) lost", Assert.Single(Check(history, ("n1", [("c", "2")])).Violations));
        Assert.Contains("more than 3 acknowledged + 1 unknown", Assert.Single(Check(history, ("n1", [("c", "5")])).Violations));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task A_key_with_writes_and_increments_is_noted_not_judged()
    {
        var history = new HistoryBuilder().Write(0, "k", "5", 0, 10).Increment(1, "k", 6, 20, 30);

        var result = Check(history, ("n1", [("k", "6")]));

        Assert.True(result.Passed);
        Assert.Contains("k: has both writes and increments; not checked", result.Notes);
        await Task.CompletedTask;
    }
}
