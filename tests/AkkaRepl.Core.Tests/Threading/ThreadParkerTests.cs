using AkkaRepl.Core.Threading;
using AkkaRepl.Testing.Specs;

namespace AkkaRepl.Core.Tests.Threading;

public sealed class ThreadParkerTests
{
    [Fact(Timeout = 30_000)]
    public async Task An_unpark_between_prepare_and_park_is_not_lost()
    {
        await Task.Run(() =>
        {
            using var parker = new ThreadParker();
            parker.Prepare();
            parker.Unpark(); // the producer saw the owner about to park
            parker.Park();   // returns at once: the wake-up was kept
        });
    }

    [Fact(Timeout = 30_000)]
    public async Task An_unpark_of_an_owner_that_is_not_parked_leaves_no_wake_up_behind()
    {
        await Task.Run(() =>
        {
            using var parker = new ThreadParker();
            parker.Unpark(); // nobody prepared: nothing is signalled
            parker.Prepare();
            var parked = Task.Run(parker.Park);
            Assert.False(parked.Wait(TimeSpan.FromMilliseconds(200)), "Park returned without an Unpark after Prepare");
            parker.Unpark();
            Assert.True(parked.Wait(TimeSpan.FromSeconds(20)));
        });
    }

    /// <summary>The WAL writer's use: a producer queues, then unparks; the owner prepares, looks, parks. No item may wait
    /// for a wake-up that never comes (the test would hang until its timeout).</summary>
    [Fact(Timeout = 60_000)]
    public async Task Producers_and_a_parking_owner_never_lose_a_wake_up()
    {
        const int Producers = 3, PerProducer = 20_000;
        using var parker = new ThreadParker();
        var queue = new System.Collections.Concurrent.ConcurrentQueue<int>();
        var owner = Task.Factory.StartNew(() =>
        {
            var taken = 0;
            while (taken < Producers * PerProducer)
            {
                if (queue.TryDequeue(out _)) { taken++; continue; }
                parker.Prepare();
                if (queue.TryDequeue(out _))
                {
                    parker.Cancel();
                    taken++;
                    continue;
                }
                parker.Park();
            }
            return taken;
        }, TaskCreationOptions.LongRunning);
        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < PerProducer; i++)
            {
                queue.Enqueue(i);
                parker.Unpark();
                if (i % 64 == 0) Thread.Yield(); // let the owner run dry and park now and then
            }
        })).ToArray();
        await Task.WhenAll(producers);
        Assert.Equal(Producers * PerProducer, await owner.WaitAsync(TimeSpan.FromSeconds(50)));
    }

    [LinuxFact(Timeout = 30_000)]
    public async Task An_eventfd_wait_ends_at_its_timeout_and_a_signal_after_dispose_does_nothing()
    {
        await Task.Run(() =>
        {
            var fd = new EventFd();
            var watch = System.Diagnostics.Stopwatch.StartNew();
            fd.Wait(TimeSpan.FromMilliseconds(50));
            Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(45), $"returned after {watch.Elapsed.TotalMilliseconds} ms");
            fd.Signal();
            fd.Wait(TimeSpan.FromSeconds(20)); // signalled: returns at once, and resets the counter
            watch.Restart();
            fd.Wait(TimeSpan.FromMilliseconds(50));
            Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(45), "the counter was not reset by the wait");
            fd.Dispose();
            fd.Signal(); // a late signaller after dispose: no exception, no write to a reused descriptor
            fd.Reset();
        });
    }
}
