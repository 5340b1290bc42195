using AkkaRepl.Testing.Waits;

namespace AkkaRepl.Testing.Tests.Waits;

public sealed class EventuallyTests
{
    [Fact(Timeout = 30_000)]
    public async Task Waiting_returns_once_the_condition_holds()
    {
        var calls = 0;

        var value = await Eventually.WaitAsync(() => Task.FromResult(++calls), n => n >= 3, TimeSpan.FromSeconds(5), "three calls");

        Assert.Equal(3, value);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_timeout_names_what_was_awaited_and_the_last_value()
    {
        var error = await Assert.ThrowsAsync<TimeoutException>(() =>
            Eventually.WaitAsync(() => Task.FromResult(7), n => n > 10, TimeSpan.FromMilliseconds(100), "the lsn to pass 10"));

        Assert.Contains("the lsn to pass 10", error.Message);
        Assert.Contains("Last observed: 7", error.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_throwing_observation_counts_as_not_yet_and_is_reported()
    {
        var error = await Assert.ThrowsAsync<TimeoutException>(() =>
            Eventually.WaitAsync(() => Task.FromException<bool>(new InvalidOperationException("connection refused")),
                TimeSpan.FromMilliseconds(100), "the node to answer"));

        Assert.Contains("InvalidOperationException: connection refused", error.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_checkpoint_is_written_with_its_name()
    {
        var output = new Nodes.CapturingOutput();

        Checkpoint.Mark(output, "primary-elected");

        Assert.StartsWith("[checkpoint] primary-elected @ ", output.Text);
        await Task.CompletedTask;
    }
}
