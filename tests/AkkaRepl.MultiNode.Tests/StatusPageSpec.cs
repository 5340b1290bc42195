using AkkaRepl.Testing.Browser;
using AkkaRepl.Testing.Cluster;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Resp;
using Xunit.Abstractions;

namespace AkkaRepl.MultiNode.Tests;

/// <summary>
/// The status page in a real headless Chromium, against three real node processes: loaded from a replica, it shows
/// the primary and its replicas; after kill -9 of the primary and the promotion of a replica it shows the new
/// primary, the old one unreachable, and the role change with its reason. Screenshots go to TestResults/screenshots.
/// </summary>
public sealed class StatusPageSpec(ITestOutputHelper output)
{
    private static readonly Role P = new("p"), R1 = new("r1"), R2 = new("r2");

    [Fact(Timeout = 120_000)]
    public async Task The_status_page_on_a_replica_shows_the_new_primary_after_the_old_one_is_killed()
    {
        await using var cluster = new ReplicationCluster(
            nameof(The_status_page_on_a_replica_shows_the_new_primary_after_the_old_one_is_killed), output, [P, R1, R2], P, ManualPromotion.Setting);
        await cluster.Fixture.RunAsync(async ct =>
        {
            await cluster.StartAllAsync(ct);
            await cluster.WaitForPrimaryAsync(P, 1, ct);
            // Nodes learn their peers' HTTP ports from config, and the ports are only known once every node is READY:
            // restart r2 with the full member list, so the page it serves can reach every member.
            await cluster.RestartAsync(R2, ct);
            await cluster.WaitForReplicaOfAsync(R2, P, ct);
            await using (var client = await cluster.ConnectAsync(P, ct))
                for (var i = 0; i < 50; i++)
                    Assert.Equal(RespValue.Ok, await client.SendAsync(["SET", $"k{i}", $"v{i}"], ct));
            await cluster.WaitForConvergenceAsync(P, ct);

            await using var browser = await HeadlessChromium.StartAsync(1280, 1000, ct);
            await browser.NavigateAsync($"http://127.0.0.1:{cluster[R2].Endpoints.Http}/", ct);
            await browser.WaitForAsync("document.body.dataset.primary === 'p' && document.querySelectorAll('#nodes tr[data-role]').length === 3",
                "p as primary and all three nodes", TimeSpan.FromSeconds(20), ct);
            await browser.WaitForAsync("document.querySelectorAll('#lag-chart polyline').length === 2", "a lag line per replica", TimeSpan.FromSeconds(20), ct);
            Assert.Equal("replica", (string?)await browser.EvaluateAsync("document.querySelector('#nodes tr[data-node=r2]').dataset.role", ct));
            Assert.Equal("streaming", (string?)await browser.EvaluateAsync("document.querySelector('#nodes tr[data-node=r1] .state-streaming').textContent", ct));
            await browser.ScreenshotAsync(ScreenshotPath("status-page-before-failover.png"), ct);
            cluster.Checkpoint("page-shows-p");

            await cluster.KillAsync(P);
            await browser.WaitForAsync("document.querySelector('#nodes tr[data-node=p] .state-unreachable') !== null && document.body.dataset.primary === ''",
                "p unreachable and no primary", TimeSpan.FromSeconds(20), ct);
            await cluster.PromoteAsync(R1, ct);
            var promoted = await cluster.WaitForPrimaryAsync(R1, 2, ct);
            await cluster.FollowAsync(R2, R1, promoted.Generation, ct);
            await cluster.WaitForReplicaOfAsync(R2, R1, ct);
            cluster.Checkpoint("r1-promoted");

            await browser.WaitForAsync(
                "document.body.dataset.primary === 'r1' && document.getElementById('events').innerText.includes('promoted by an operator')" +
                " && document.querySelector('#nodes tr[data-node=r2] .state-streaming') !== null",
                "r1 as the new primary, its promotion event and r2 streaming from it", TimeSpan.FromSeconds(20), ct);
            Assert.Equal("unreachable", (string?)await browser.EvaluateAsync("document.querySelector('#topology g[data-node=p]').dataset.role", ct));
            Assert.Equal("primary", (string?)await browser.EvaluateAsync("document.querySelector('#topology g[data-node=r1]').dataset.role", ct));
            var path = ScreenshotPath("status-page-after-failover.png");
            await browser.ScreenshotAsync(path, ct);
            output.WriteLine($"screenshot: {path}");
            Assert.True(new FileInfo(path).Length > 10_000, "the screenshot has content");
        }, TimeSpan.FromSeconds(110));
    }

    /// <summary>TestResults/screenshots at the repository root (next to the TRX files), created when missing.</summary>
    private static string ScreenshotPath(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AkkaRepl.sln"))) dir = dir.Parent;
        var root = dir?.FullName ?? AppContext.BaseDirectory;
        return Path.Combine(Directory.CreateDirectory(Path.Combine(root, "TestResults", "screenshots")).FullName, name);
    }
}
