using System.Net;
using System.Text.Json;
using AkkaRepl.Client.Resp;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Cli;
using AkkaRepl.Server.Node;
using AkkaRepl.Testing.Waits;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Node;

/// <summary>
/// A starting node in-process: its HTTP endpoint answers during WAL recovery, <c>akkarepl status</c> shows it as
/// recovering and exits unhealthy, and once it is recovered everything reads as usual. Recovery is slowed by
/// <see cref="NodeStartOptions.TestOnlyRecoveryPausePerSegment"/> and held after its fifth segment of about 50
/// (<see cref="NodeStartOptions.TestOnlyAfterSegmentScanned"/>) until the checks are done, so they land while it runs.
/// </summary>
public sealed class StartupProgressTests(ITestOutputHelper output)
{
    private static AkkaReplOptions Options(string dir) => new()
    {
        Node = new NodeOptions { NodeId = "t1", DataDir = dir, RespPort = 0, HttpPort = 0, ReplicationPort = 0 },
        Wal = new WalOptions { SegmentSizeBytes = 8 * 1024, PreallocateSegments = false },
    };

    [Fact(Timeout = 60_000)]
    public async Task Status_command_shows_a_recovering_node_and_exits_unhealthy_until_it_is_ready()
    {
        await Task.Yield();
        using var dir = new TempDataDir();
        var loggers = new CapturingLoggerFactory();
        await using (var node = await NodeHost.StartAsync(Options(dir.Path), loggers, default))
        {
            await using var redis = await RespConnection.ConnectAsync("127.0.0.1", node.RespPort);
            var value = new string('v', 4000);
            for (var i = 0; i < 100; i++)
                Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", $"k{i}", value)).AsString());
        }

        var httpPort = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Recovery is held after its fifth segment of ~50 until the checks are done: every worker that finishes a segment
        // past it waits too, so the scan stays below half whatever the machine's load (a scan racing the checks, paced only
        // by the pause, once ran past half before the first /status answer of a loaded CI run).
        using var release = new ManualResetEventSlim(false);
        var scanned = 0;
        var start = new NodeStartOptions
        {
            HttpListening = p => httpPort.TrySetResult(p),
            TestOnlyRecoveryPausePerSegment = TimeSpan.FromMilliseconds(20),
            TestOnlyAfterSegmentScanned = () =>
            {
                if (Interlocked.Increment(ref scanned) >= 5) release.Wait(TimeSpan.FromSeconds(45));
            },
        };
        var starting = NodeHost.StartAsync(Options(dir.Path), loggers, start, default);
        try
        {
            var port = await httpPort.Task.WaitAsync(TimeSpan.FromSeconds(20));
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            // Polled without blocking a thread: the recovery workers (and their pauses) hold pool threads meanwhile.
            // Observed as text, so a timeout shows what /status said.
            await Eventually.WaitAsync(async () =>
            {
                using var doc = JsonDocument.Parse(await http.GetStringAsync("status"));
                var role = doc.RootElement.GetProperty("role").GetString();
                var percent = doc.RootElement.TryGetProperty("recovery", out var r) && r.ValueKind == JsonValueKind.Object
                    ? r.GetProperty("percent").GetDouble() : double.NaN;
                return (Role: role, Percent: percent);
            }, seen => seen.Role == "recovering" && seen.Percent is > 0 and < 50, TimeSpan.FromSeconds(20), "the WAL scan between 0 and 50 % on /status");

            var (code, json, table) = await RunStatusAsync($"127.0.0.1:{port}");
            output.WriteLine(table);
            Assert.Equal(StatusCommand.Unhealthy, code);
            Assert.Contains("recovering", table);
            Assert.Contains("wal ", table);
            var (jsonCode, jsonText, _) = await RunStatusAsync($"127.0.0.1:{port}", json: true);
            Assert.Equal(StatusCommand.Unhealthy, jsonCode);
            var only = JsonDocument.Parse(jsonText).RootElement.EnumerateArray().Single();
            Assert.Equal("recovering", only.GetProperty("role").GetString());
            Assert.Equal("wal", only.GetProperty("recovery").GetProperty("phase").GetString());
            Assert.False(starting.IsCompleted, "the node finished starting while its recovery was held");
            // The progress line comes every 2 s while recovery runs: held, it must come.
            await Eventually.WaitAsync(() => loggers.Has(LogLevel.Information, "Recovering: wal "), TimeSpan.FromSeconds(10), "the progress line");
        }
        finally
        {
            release.Set();
            await using var node = await starting;
            var status = node.GetStatus();
            Assert.Null(status.Recovery);
            Assert.Equal("primary", status.Role);
            Assert.Null(node.Recovery);
            var (code, _, table) = await RunStatusAsync($"127.0.0.1:{node.HttpPort}");
            output.WriteLine(table);
            Assert.Equal(CliErrors.Ok, code);
            await using var redis = await RespConnection.ConnectAsync("127.0.0.1", node.RespPort);
            Assert.Equal(100, (await redis.ExecuteAsync(default, "DBSIZE")).Integer);
            Assert.True(loggers.Has(LogLevel.Information, "Recovering: wal "), "no progress line was logged:\n" + loggers.Dump());
            Assert.True(loggers.Has(LogLevel.Warning, "Test-only setting"), "the test-only pause was not warned about");
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_node_that_is_ready_answers_health_200_and_shows_no_recovery()
    {
        using var dir = new TempDataDir();
        await using var node = await NodeHost.StartAsync(Options(dir.Path), new CapturingLoggerFactory(), default);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{node.HttpPort}/") };
        using var health = await http.GetAsync("health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var doc = JsonDocument.Parse(await http.GetStringAsync("status"));
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("recovery").ValueKind);
        Assert.DoesNotContain("akkarepl_recovery_progress_ratio{", await http.GetStringAsync("metrics"));
    }

    private static async Task<(int Code, string Json, string Table)> RunStatusAsync(string address, bool json = false)
    {
        var jsonOut = new StringWriter();
        var tableOut = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(tableOut), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 300;
        var code = await StatusCommand.RunAsync(address, json, watch: false, jsonOut, console, default);
        return (code, jsonOut.ToString(), tableOut.ToString());
    }
}
