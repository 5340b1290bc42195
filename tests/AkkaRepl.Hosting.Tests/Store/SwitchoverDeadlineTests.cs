using System.Reflection;
using AkkaRepl.Core.Errors;
using AkkaRepl.Hosting.Tests.Support;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Waits;
using Xunit.Abstractions;

namespace AkkaRepl.Hosting.Tests.Store;

public sealed class SwitchoverDeadlineTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>The real clock, except that once armed, every wall-clock reading after the first is an hour earlier
    /// (an NTP step back). Timestamps (the monotonic clock) are untouched.</summary>
    private sealed class SteppingBackClock : TimeProvider
    {
        private int _readings = -1;
        public void Arm() => Volatile.Write(ref _readings, 0);
        public override DateTimeOffset GetUtcNow()
        {
            var now = System.GetUtcNow();
            if (Volatile.Read(ref _readings) < 0) return now;
            return Interlocked.Increment(ref _readings) == 1 ? now : now - TimeSpan.FromHours(1);
        }
    }

    /// <summary>A switchover whose target cannot catch up gives up after the durability timeout and writes resume. Its
    /// deadline is measured on the monotonic clock: on the wall clock, a step back (NTP) kept the primary refusing
    /// writes (READONLY) for as long as the step, and a step forward aborted a switchover at once.</summary>
    [Fact(Timeout = 120_000)]
    public async Task A_switchover_deadline_is_not_moved_by_a_wall_clock_step()
    {
        await Task.Yield();
        await using var cluster = new EmbeddedCluster("p", "r1", "r2")
        {
            Elections = true,
            ExtraHocon = "akkarepl.replication.durability-timeout = 2 s",
        };
        var store = await cluster.StartAllAsync(Patience);
        var p = cluster.Service<Node.EmbeddedNode>("p").Running;

        // r1 gets no more of p's log (its acks and votes still reach p), and p writes once more: r1 cannot catch up.
        cluster.Link("r1", "p").SetMode(LinkDirection.FromTarget, LinkMode.Blackhole);
        await store.SetAsync("w", "1", Durability.Local);

        // The coordinator's clock, with a wall-clock step back of an hour from its second reading on.
        var clock = new SteppingBackClock();
        var field = typeof(Coordinator).GetField("_c", BindingFlags.Instance | BindingFlags.NonPublic)!;
        field.SetValue(p.Coordinator, ((CoordinatorContext)field.GetValue(p.Coordinator)!) with { Time = clock });
        clock.Arm();

        var switchover = p.Coordinator.SwitchoverAsync("r1", default);
        var error = await Assert.ThrowsAsync<AkkaReplException>(() => switchover.WaitAsync(TimeSpan.FromSeconds(15)));
        output.WriteLine(error.Message);
        Assert.Contains("aborted", error.Message);
        Assert.True(p.Coordinator.AcceptsWrites, "writes did not resume after the aborted switchover");
    }
}
