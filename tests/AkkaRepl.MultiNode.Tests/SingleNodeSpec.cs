using System.Diagnostics;
using AkkaRepl.Testing.Cluster;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Nodes;
using AkkaRepl.Testing.Resp;
using AkkaRepl.Testing.Specs;
using Xunit.Abstractions;

namespace AkkaRepl.MultiNode.Tests;

/// <summary>G4 at node level: what a single node acknowledged survives SIGKILL and SIGTERM; bad config starts nothing.</summary>
public sealed class SingleNodeSpec(ITestOutputHelper output)
{
    private static readonly Role Solo = new("solo");

    [Fact(Timeout = 90_000)]
    public async Task Every_acknowledged_SET_survives_kill_9_in_the_middle_of_a_pipelined_burst()
    {
        var seed = TestSeed.Pick(output, pinned: 11);
        var random = new Random(seed);
        var kills = Soak.Choose(3, 15);
        await using var cluster = new ClusterFixture(nameof(Every_acknowledged_SET_survives_kill_9_in_the_middle_of_a_pipelined_burst));
        cluster.AttachLogsOnFailure(output);
        await cluster.RunAsync(async ct =>
        {
            await cluster.StartAsync(Solo, StartInfo(cluster), ct);
            var bursts = new List<PipelinedSetBurst>();
            for (var round = 0; round < kills; round++)
            {
                // Kill after a seeded number of acknowledgements, with SETs still in flight.
                var killAfter = random.Next(200, 3_000);
                var burst = new PipelinedSetBurst($"k{round}:", seed);
                bursts.Add(burst);
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var running = burst.RunAsync(cluster[Solo].Endpoints.Resp, stop.Token);
                await Testing.Waits.Eventually.WaitAsync(() => burst.Acknowledged >= killAfter || running.IsCompleted,
                    TimeSpan.FromSeconds(20), $"round {round}: {killAfter} acknowledged SETs", ct);
                await cluster.KillAsync(Solo);
                await running;
                cluster.Checkpoint($"round-{round}-killed-after-{burst.Acknowledged}-acks");
                Assert.Equal(0, burst.Errors);
                Assert.True(burst.Acknowledged >= killAfter, $"seed {seed}: the burst ended before the kill ({burst.Acknowledged} acks)");

                await cluster.RestartAsync(Solo, ct);
                await AssertAllAcknowledgedPresentAsync(cluster, bursts, seed, ct);
            }
        }, TimeSpan.FromSeconds(85));
    }

    [Fact(Timeout = 60_000)]
    public async Task SIGTERM_under_load_exits_0_and_keeps_every_acknowledged_SET()
    {
        var seed = TestSeed.Pick(output, pinned: 12);
        var stopAfter = new Random(seed).Next(500, 3_000);
        await using var cluster = new ClusterFixture(nameof(SIGTERM_under_load_exits_0_and_keeps_every_acknowledged_SET));
        cluster.AttachLogsOnFailure(output);
        await cluster.RunAsync(async ct =>
        {
            await cluster.StartAsync(Solo, StartInfo(cluster), ct);
            var burst = new PipelinedSetBurst("t:", seed);
            var running = burst.RunAsync(cluster[Solo].Endpoints.Resp, ct);
            await Testing.Waits.Eventually.WaitAsync(() => burst.Acknowledged >= stopAfter || running.IsCompleted,
                TimeSpan.FromSeconds(20), $"{stopAfter} acknowledged SETs", ct);

            var exitCode = await cluster.StopAsync(Solo);
            await running;
            cluster.Checkpoint($"stopped-after-{burst.Acknowledged}-acks");
            Assert.True(exitCode == 0, $"seed {seed}: SIGTERM exit code {exitCode}, expected 0");
            Assert.True(burst.Acknowledged >= stopAfter, $"seed {seed}: the burst ended before SIGTERM");

            await cluster.RestartAsync(Solo, ct);
            await AssertAllAcknowledgedPresentAsync(cluster, [burst], seed, ct);
        }, TimeSpan.FromSeconds(55));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_pause_of_the_whole_process_is_logged_as_a_stall_and_shown_on_status()
    {
        await using var cluster = new ClusterFixture(nameof(A_pause_of_the_whole_process_is_logged_as_a_stall_and_shown_on_status));
        cluster.AttachLogsOnFailure(output);
        await cluster.RunAsync(async ct =>
        {
            await cluster.StartAsync(Solo, StartInfo(cluster), ct);
            var node = cluster[Solo];
            Assert.False(node.Log.Contains("The process stalled"), "a stall was reported before the pause");

            // The fault under test: SIGSTOP holds every thread of the node for 800 ms, as a long GC or a starved VM would.
            await node.PauseAsync(ct);
            await Task.Delay(TimeSpan.FromMilliseconds(800), ct);
            await node.ResumeAsync(ct);

            await Testing.Waits.Eventually.WaitAsync(() => node.Log.Contains("The process stalled"), TimeSpan.FromSeconds(10),
                "a stall warning in the node's log", ct);
            var line = node.Log.Snapshot().First(l => l.Text.Contains("The process stalled", StringComparison.Ordinal)).Text;
            output.WriteLine(line);
            var reported = int.Parse(System.Text.RegularExpressions.Regex.Match(line, @"stalled (\d+) ms").Groups[1].Value);
            Assert.InRange(reported, 650, 30_000); // at least the pause, less the monitor's 100 ms interval
            Assert.Contains("a stall near the lease's length costs a primary its lease", line);

            using var http = new HttpClient();
            var json = await http.GetStringAsync($"http://127.0.0.1:{node.Endpoints.Http}/status", ct);
            var stalls = System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("stalls");
            Assert.True(stalls.GetProperty("pauses").GetInt64() >= 1, json);
            Assert.True(stalls.GetProperty("longestPauseMs").GetDouble() >= 650, json);
        }, TimeSpan.FromSeconds(55));
    }

    [Theory(Timeout = 30_000)]
    [InlineData("akkarepl.node.resp-port=70000", "akkarepl.node.resp-port = 70000 is out of range: expected 0..65535")]
    [InlineData("akkarepl.node.no-such-key=1", "akkarepl.node.no-such-key is not a known key")]
    public async Task Bad_config_exits_2_with_a_clear_message_and_starts_nothing(string setting, string expected)
    {
        await using var cluster = new ClusterFixture(nameof(Bad_config_exits_2_with_a_clear_message_and_starts_nothing));
        var dataDir = Path.Combine(cluster.TempRoot, "never-created");
        // No --resp-port: the command-line port would override the --set under test.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { AkkaReplNode.FindBinary(), "node", "--node-id", "solo", "--data-dir", dataDir, "--http-port", "0", "--repl-port", "0", "--set", setting })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        await process.WaitForExitAsync(timeout.Token);
        var (outText, errText) = (await stdout, await stderr);
        output.WriteLine($"exit {process.ExitCode}\nstdout: {outText}\nstderr: {errText}");

        Assert.Equal(2, process.ExitCode);
        Assert.Contains($"akkarepl: configuration error: --set '{setting}':", errText);
        Assert.Contains(expected, errText);
        Assert.Contains("akkarepl: nothing was started.", errText);
        Assert.DoesNotContain("   at ", errText + outText);
        Assert.DoesNotContain("READY", outText);          // no listener was announced
        Assert.False(Directory.Exists(dataDir), "the data directory was created although nothing started");
    }

    private static NodeProcessStartInfo StartInfo(ClusterFixture cluster) => AkkaReplNode.CreateStartInfo(new AkkaReplNodeOptions
    {
        NodeId = Solo.Name,
        DataDirectory = cluster.DataDirectoryFor(Solo),
    });

    private async Task AssertAllAcknowledgedPresentAsync(ClusterFixture cluster, IReadOnlyList<PipelinedSetBurst> bursts, int seed, CancellationToken ct)
    {
        await using var client = await RespClient.ConnectAsync(cluster[Solo].Endpoints.Resp, ct: ct);
        foreach (var burst in bursts)
        {
            for (long i = 0; i < burst.Acknowledged; i++)
            {
                var value = (await client.SendAsync(["GET", burst.Key(i)], ct)).AsString();
                Assert.True(value == burst.Value(i),
                    $"seed {seed}: acknowledged SET {burst.Key(i)} = {burst.Value(i)} is {(value is null ? "missing" : $"\"{value}\"")} after restart " +
                    $"({burst.Acknowledged} acknowledged in that burst)");
            }
            // A SET that was sent but not acknowledged may or may not be there, but never with another value.
            var next = (await client.SendAsync(["GET", burst.Key(burst.Acknowledged)], ct)).AsString();
            Assert.True(next is null || next == burst.Value(burst.Acknowledged), $"seed {seed}: {burst.Key(burst.Acknowledged)} holds \"{next}\"");
        }
        output.WriteLine($"verified {bursts.Sum(b => b.Acknowledged)} acknowledged SETs after restart");
    }
}
