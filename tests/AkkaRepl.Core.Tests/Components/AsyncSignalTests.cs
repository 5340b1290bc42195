using AkkaRepl.Core.Components;

namespace AkkaRepl.Core.Tests.Components;

public sealed class AsyncSignalTests
{
    [Fact(Timeout = 10_000)]
    public async Task Sets_made_while_nobody_waits_are_remembered_as_one()
    {
        var signal = new AsyncSignal();
        signal.Set();
        signal.Set();
        await signal.WaitAsync(CancellationToken.None);           // the remembered Set: returns at once
        var second = signal.WaitAsync(CancellationToken.None);    // both Sets were one wake-up
        Assert.False(second.IsCompleted);
        signal.Set();
        await second;
    }

    [Fact(Timeout = 10_000)]
    public async Task WhenWaiting_completes_only_at_a_wait_that_nothing_is_about_to_wake()
    {
        var signal = new AsyncSignal();
        var parked = signal.WhenWaiting();
        Assert.False(parked.IsCompleted);                          // nobody waits yet
        var first = signal.WaitAsync(CancellationToken.None);
        await parked;
        Assert.True(signal.WhenWaiting().IsCompleted);            // still parked: answered at once

        // A Set wakes the loop on a pool thread; until the loop waits again, it is not parked, even in the moment
        // before its wait notices the Set.
        signal.Set();
        var again = signal.WhenWaiting();
        Assert.False(again.IsCompleted);
        await first;
        Assert.False(again.IsCompleted);
        var second = signal.WaitAsync(CancellationToken.None);
        await again;
        Assert.False(second.IsCompleted);
        signal.Set();
        await second;
    }
}
