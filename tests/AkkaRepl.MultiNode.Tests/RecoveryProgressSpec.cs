using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Nodes;
using AkkaRepl.Testing.Resp;
using AkkaRepl.Testing.Waits;
using Xunit.Abstractions;

namespace AkkaRepl.MultiNode.Tests;

/// <summary>
/// A node restarting on a large WAL can be watched while it recovers: its HTTP port answers before READY, /status says
/// "recovering" with a percentage, /health, /primary and the operator verbs answer 503, and a progress line is logged
/// every few seconds. A real node process on a 32 MiB log in 1 MiB segments; recovery is slowed by the test-only pause
/// per segment (AKKAREPL_TEST_ONLY_RECOVERY_PAUSE_PER_SEGMENT_MS), so the polls land during recovery however fast the
/// machine scans: the first half of the scan alone lasts at least 16 x 250 ms.
/// </summary>
public sealed class RecoveryProgressSpec(ITestOutputHelper output)
{
    private static readonly Role Writer = new("solo"), Restarted = new("solo-restarted");
    private const int Sets = 1024, ValueBytes = 32 * 1024, Writers = 8, PauseMs = 250;

    [Fact(Timeout = 90_000)]
    public async Task A_node_recovering_a_large_WAL_shows_a_percentage_on_status_before_READY()
    {
        await using var cluster = new ClusterFixture(nameof(A_node_recovering_a_large_WAL_shows_a_percentage_on_status_before_READY));
        cluster.AttachLogsOnFailure(output);
        await cluster.RunAsync(async ct =>
        {
            var options = new AkkaReplNodeOptions
            {
                NodeId = "solo",
                DataDirectory = cluster.DataDirectoryFor(Writer),
                Settings = ["akkarepl.wal.segment-size=\"1 MiB\""],
            };
            var first = await cluster.StartAsync(Writer, AkkaReplNode.CreateStartInfo(options), ct);
            await WriteLogAsync(first.Endpoints.Resp, ct);
            Assert.Equal(0, await cluster.StopAsync(Writer));
            cluster.Checkpoint("log-written");

            // Same data directory; "ready" for the harness is the RECOVERING line, which names the HTTP port.
            var watched = AkkaReplNode.CreateStartInfo(options) with
            {
                ReadyLinePattern = @"^RECOVERING node=(?<node>\S+) http=(?<http>\d+)\s*$",
                Environment = new Dictionary<string, string>
                {
                    ["AKKAREPL_TEST_ONLY_RECOVERY_PAUSE_PER_SEGMENT_MS"] = PauseMs.ToString(CultureInfo.InvariantCulture),
                },
            };
            var node = await cluster.StartAsync(Restarted, watched, ct);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{node.Endpoints.Http}/"), Timeout = TimeSpan.FromSeconds(5) };

            var status = await Eventually.WaitAsync(async () => await GetJsonAsync(http, "status", ct),
                s => s.GetProperty("role").GetString() == "recovering" && s.TryGetProperty("recovery", out var r) && r.ValueKind == JsonValueKind.Object
                     && r.GetProperty("phase").GetString() == "wal" && r.GetProperty("percent").GetDouble() is > 0 and < 50,
                TimeSpan.FromSeconds(20), "/status to show the WAL scan between 0 and 50 %", ct);
            var recovery = status.GetProperty("recovery");
            output.WriteLine($"seen on /status: {recovery}");
            Assert.False(node.Log.Contains("READY node="), "READY was printed while /status still said recovering");
            Assert.True(recovery.GetProperty("totalBytes").GetInt64() >= (long)Sets * ValueBytes, $"total {recovery.GetProperty("totalBytes")} is below the log written");
            Assert.InRange(recovery.GetProperty("doneBytes").GetInt64(), 1, recovery.GetProperty("totalBytes").GetInt64() / 2);
            Assert.StartsWith("wal ", recovery.GetProperty("text").GetString());

            // Less than half scanned: at least 16 more pauses of 250 ms before the node can be ready.
            var (healthCode, healthText) = await GetAsync(http, "health", ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, healthCode);
            Assert.StartsWith("recovering: wal ", healthText);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await GetAsync(http, "primary", ct)).Code);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await GetAsync(http, "replica", ct)).Code);
            using (var promote = await http.PostAsync("admin/promote", null, ct))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, promote.StatusCode);
                Assert.Contains("is recovering", await promote.Content.ReadAsStringAsync(ct));
            }
            Assert.Contains("akkarepl_recovery_progress_ratio{", (await GetAsync(http, "metrics", ct)).Text);
            cluster.Checkpoint("recovering-seen");

            await Eventually.WaitAsync(() => node.Log.Contains("READY node=solo"), TimeSpan.FromSeconds(40), "the READY line", ct);
            var ready = await GetJsonAsync(http, "status", ct);
            Assert.Equal("primary", ready.GetProperty("role").GetString());
            Assert.False(ready.TryGetProperty("recovery", out var after) && after.ValueKind != JsonValueKind.Null, "recovery is still shown after READY");
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(http, "health", ct)).Code);
            // The progress log line: every 2 s while recovering (the scan alone lasts over 8 s here).
            Assert.True(node.Log.Contains("Recovering: wal "), "no progress line was logged during recovery");

            // Replayed in full, and served on RESP only now: the port is first named by READY.
            var line = node.Log.Snapshot().Last(l => l.Text.StartsWith("READY node=", StringComparison.Ordinal)).Text;
            var resp = int.Parse(Regex.Match(line, @"resp=(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
            await using var client = await RespClient.ConnectAsync(resp, ct: ct);
            foreach (var i in new[] { 0, Sets / 2, Sets - 1 })
                Assert.Equal(Value(i), (await client.SendAsync(["GET", Key(i)], ct)).AsString());
        }, TimeSpan.FromSeconds(85));
    }

    /// <summary>32 MiB of SETs from a few connections at once, so group commit keeps the fsyncs few.</summary>
    private static async Task WriteLogAsync(int respPort, CancellationToken ct) =>
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(async w =>
        {
            await using var client = await RespClient.ConnectAsync(respPort, TimeSpan.FromSeconds(20), ct);
            for (var i = w; i < Sets; i += Writers)
                Assert.Equal("OK", (await client.SendAsync(["SET", Key(i), Value(i)], ct)).AsString());
        }));

    private static string Key(int i) => $"k{i}";

    private static string Value(int i) => new((char)('a' + i % 26), ValueBytes);

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string path, CancellationToken ct)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(path, ct));
        return document.RootElement.Clone();
    }

    private static async Task<(HttpStatusCode Code, string Text)> GetAsync(HttpClient http, string path, CancellationToken ct)
    {
        using var response = await http.GetAsync(path, ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }
}
