using System.Text.Json;
using AkkaRepl.Client.Resp;
using AkkaRepl.Server.Cli;
using AkkaRepl.Server.Tests.Node;
using Spectre.Console;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Cli;

/// <summary><c>akkarepl status</c> against in-process nodes: the table, the JSON and each exit code.</summary>
public sealed class StatusCommandTests(ITestOutputHelper output)
{
    private static async Task<(int Code, string Json, string Table)> RunAsync(string address, bool json)
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

    [Fact(Timeout = 60_000)]
    public async Task A_healthy_cluster_is_shown_from_a_replica_and_exits_zero()
    {
        await using var cluster = new InProcessCluster("p", "r1");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            await Wait.Until(() => p.GetStatus().Replicas.Any(r => r.State == "streaming"), "the replica to stream");
            // The primary's config was written before r1 had ports, so ask r1: its member list names both.
            var (code, _, table) = await RunAsync($"127.0.0.1:{r1.HttpPort}", json: false);
            output.WriteLine(table);
            Assert.Equal(CliErrors.Ok, code);
            Assert.Contains("primary", table);
            Assert.Contains("streaming", table);
            Assert.Contains("headroom", table);

            var (jsonCode, json, _) = await RunAsync($"127.0.0.1:{r1.HttpPort}", json: true);
            Assert.Equal(CliErrors.Ok, jsonCode);
            var nodes = JsonDocument.Parse(json).RootElement.EnumerateArray().ToList();
            Assert.Equal(["p", "r1"], nodes.Select(n => n.GetProperty("nodeId").GetString()!).ToArray());
            Assert.Equal("primary", nodes[0].GetProperty("role").GetString());
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task A_cluster_without_a_primary_exits_unhealthy()
    {
        await using var cluster = new InProcessCluster("p", "r1");
        await cluster.RunAsync(output, async () =>
        {
            await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            await cluster.StopAsync("p");
            var (code, json, _) = await RunAsync($"127.0.0.1:{r1.HttpPort}", json: true);
            output.WriteLine(json);
            Assert.Equal(StatusCommand.Unhealthy, code);
            Assert.Contains("\"error\"", json); // the primary is listed as unreachable
        });
    }

    [Fact(Timeout = 90_000)]
    public async Task A_replica_that_needs_a_rebuild_makes_the_status_exit_unhealthy()
    {
        await using var cluster = new InProcessCluster("p", "r1")
        {
            Tune = o => o with
            {
                Wal = o.Wal with { SegmentSizeBytes = 8 * 1024, PreallocateSegments = false },
                Snapshot = o.Snapshot with { IntervalBytes = 16 * 1024 },
                Replication = o.Replication with { RetainedLogMaxBytes = 16 * 1024 },
            },
        };
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            await using var redis = await RespConnection.ConnectAsync("127.0.0.1", p.RespPort);
            await redis.ExecuteAsync(default, "DURABILITY", "local"); // a quorum of two would wait for the stopped r1
            for (var i = 0; i < 50; i++) await redis.ExecuteAsync(default, "SET", $"k{i}", "early");
            await Wait.Until(() => r1.GetStatus().AppliedLsn >= p.GetStatus().FlushedLsn, "r1 to catch up");
            var r1Had = r1.GetStatus().FlushedLsn;
            await cluster.StopAsync("r1");
            for (var i = 0; i < 3000; i++) await redis.ExecuteAsync(default, "SET", $"k{i % 500}", $"late-{i}");
            await Wait.Until(() => p.GetStatus().FirstLsn > r1Had, "the primary to drop the log r1 needs");

            var (code, _, table) = await RunAsync($"127.0.0.1:{p.HttpPort}", json: false);
            output.WriteLine(table);
            Assert.Equal(StatusCommand.Unhealthy, code);
            Assert.Contains("needs-rebuild", table);
        });
    }

    [Theory(Timeout = 30_000)]
    [InlineData("localhost")]
    [InlineData("localhost:notaport")]
    public async Task A_malformed_address_is_a_clear_error_with_exit_code_one(string address)
    {
        var (code, _, _) = await RunAsync(address, json: false);
        Assert.Equal(CliErrors.Failed, code);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_node_that_does_not_answer_gives_exit_code_one()
    {
        // Bound and listening, but nothing ever answers HTTP on it: the status verb gives up after its 5 s timeout.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
            var (code, _, _) = await RunAsync($"127.0.0.1:{port}", json: false);
            Assert.Equal(CliErrors.Failed, code);
        }
        finally
        {
            listener.Stop();
        }
    }
}
