using AkkaRepl.Hosting.Tests.Support;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Testing.Waits;

namespace AkkaRepl.Hosting.Tests.Admin;

/// <summary>A switchover whose HTTP request goes away (the CLI's timeout, Ctrl-C, a load balancer's idle cut) while the
/// primary waits for the target to catch up must give the primary its writes back, as a switchover that times out
/// does. The request's token used to end the wait with the primary still refusing every write (it had stopped
/// accepting them for the hand-over) and holding its lease, so no election came either: an outage until a restart.</summary>
public sealed class SwitchoverAbortTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 120_000)]
    public async Task A_switchover_request_that_goes_away_while_waiting_for_the_target_leaves_the_primary_writing()
    {
        await Task.Yield();
        await using var cluster = new EmbeddedCluster("p", "r1", "r2")
        {
            Elections = true,
            // The hand-over waits this long for r2; the request is gone long before.
            ExtraHocon = "akkarepl.replication.durability-timeout = 60 s",
        };
        var primary = await cluster.StartAllAsync(Patience, value: "1");

        // r2 falls behind: the hand-over to it must wait.
        cluster.Isolate("r2");
        await primary.SetAsync("k", "2", Durability.Quorum);

        using (var http = new HttpClient { Timeout = TimeSpan.FromMilliseconds(500) })
        {
            // Warm up the endpoint and the client first, so the cut falls inside the hand-over's wait, not before
            // the request reached the node (the first request of a process can take longer than 500 ms).
            await Eventually.WaitAsync(async () =>
            {
                try { return (await http.GetAsync($"http://127.0.0.1:{primary.Endpoints.HttpPort}/status")).IsSuccessStatusCode; }
                catch (OperationCanceledException) { return false; }
            }, Patience, "p's HTTP endpoint answers within 500 ms");
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                http.PostAsync($"http://127.0.0.1:{primary.Endpoints.HttpPort}/admin/switchover?to=r2", null));
        }

        var cut = System.Diagnostics.Stopwatch.StartNew();
        try { await primary.SetAsync("probe", "x", Durability.Local); output.WriteLine($"write right after the cut: ok"); }
        catch (Exception ex) { output.WriteLine($"write right after the cut: {ex.GetType().Name}: {ex.Message}"); }
        // Still the primary, and it takes writes again (well before the 60 s the hand-over would have waited).
        await Eventually.WaitAsync(async () =>
        {
            try { return !(await primary.SetAsync("k", "3", Durability.Quorum)).Degraded; }
            catch (NotPrimaryException) { return false; }
        }, TimeSpan.FromSeconds(20), "p takes writes again after the aborted switchover");
        output.WriteLine($"writes resumed {cut.ElapsedMilliseconds} ms after the cut");
        Assert.Equal(NodeRole.Primary, primary.Role);
    }
}
