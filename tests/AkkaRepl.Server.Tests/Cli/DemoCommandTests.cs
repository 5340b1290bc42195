using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using AkkaRepl.Server.Cli;
using AkkaRepl.Testing.Waits;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Cli;

/// <summary>
/// <c>akkarepl demo</c>, README's main command, as a real process that starts three node processes: it must end with
/// exit code 0 and every node holding every write, also when the primary changes while it writes.
/// </summary>
public sealed class DemoCommandTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("akkarepl-demo-test-").FullName;
    private readonly ConcurrentQueue<string> _lines = new();

    /// <summary>A node's HTTP port, from its READY line ("  [n1] READY node=n1 resp=7400 http=7401 repl=7402").</summary>
    private int HttpPortOf(string node)
    {
        var ready = _lines.First(l => l.Contains($"READY node={node} ", StringComparison.Ordinal));
        return int.Parse(ready[(ready.IndexOf(" http=", StringComparison.Ordinal) + 6)..].Split(' ')[0]);
    }

    [Fact(Timeout = 120_000)]
    public async Task The_demo_writes_stops_and_restarts_a_replica_and_finds_every_write_on_every_node()
    {
        await Task.Yield();
        var (exit, lines) = await RunDemoAsync(keys: 2_000, whileWriting: null);

        Assert.True(exit == 0, $"the demo exited with {exit}");
        // n1 as a rule; a loaded machine can elect another node right after start, and the demo writes to that one.
        Assert.Contains(lines, l => l.StartsWith("Wrote 2,000 keys to the primary n", StringComparison.Ordinal));
        Assert.Equal(3, lines.Count(l => l.Contains("DBSIZE 4000, order:1999 = value-1999", StringComparison.Ordinal)));
        Assert.Contains("Every node holds every acknowledged write. Stopping the cluster.", lines);
    }

    /// <summary>
    /// The primary loses its lease in the middle of the first round: it is frozen with SIGSTOP (as a busy machine can
    /// stall a fresh process) until another node has been elected. The demo used to fail with "the primary answered
    /// 'READONLY ...' to a SET"; it now finds the new primary and writes on there. The frozen node is whichever is the
    /// primary once the writes are under way: on a loaded machine a fresh cluster may already have moved off n1.
    /// </summary>
    [Fact(Timeout = 120_000)]
    public async Task The_demo_follows_a_new_primary_elected_while_it_writes()
    {
        await Task.Yield();
        string? frozen = null;
        var (exit, lines) = await RunDemoAsync(keys: 100_000, whileWriting: async () =>
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            async Task<JsonElement> StatusOf(string node) =>
                JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{HttpPortOf(node)}/status")).RootElement;
            async Task<string?> WritablePrimary(IEnumerable<string> nodes)
            {
                foreach (var node in nodes)
                {
                    var status = await StatusOf(node);
                    if (status.GetProperty("role").GetString() == "primary" && status.GetProperty("acceptsWrites").GetBoolean()) return node;
                }
                return null;
            }
            string[] all = ["n1", "n2", "n3"];
            // Frozen only once the demo is writing through the primary: its log has grown by a few thousand SETs.
            await Eventually.WaitAsync(async () =>
            {
                var primary = await WritablePrimary(all);
                if (primary is null || (await StatusOf(primary)).GetProperty("flushedLsn").GetUInt64() < 200_000) return false;
                frozen = primary;
                return true;
            }, TimeSpan.FromSeconds(60), "the demo to write through a primary");
            var pid = NodePid(frozen!);
            Signals.Send(pid, 19); // SIGSTOP: no heartbeats, no replies; the others elect a primary among themselves
            try
            {
                // Thawed once that election is over, not after a guessed time.
                await Eventually.WaitAsync(async () => await WritablePrimary(all.Where(n => n != frozen)) is not null,
                    TimeSpan.FromSeconds(30), $"another node than {frozen} to be elected and accept writes while {frozen} is frozen");
            }
            finally { Signals.Send(pid, 18); } // SIGCONT: the frozen node learns the new generation and follows
        });

        Assert.True(exit == 0, $"the demo exited with {exit}");
        // Usually the frozen node; the demo may also have met an election of the cluster's own first.
        Assert.Contains(lines, l => l.Contains(" stopped accepting writes (", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("is the primary now; writing on from key", StringComparison.Ordinal));
        Assert.Equal(3, lines.Count(l => l.Contains("DBSIZE 200000, order:99999 = value-99999", StringComparison.Ordinal)));
    }

    /// <summary>Runs the demo in <see cref="_dir"/>; <paramref name="whileWriting"/> runs once every node printed READY.</summary>
    private async Task<(int Exit, List<string> Lines)> RunDemoAsync(int keys, Func<Task>? whileWriting)
    {
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "akkarepl.dll"), "demo", "--dir", _dir, "--keys", keys.ToString()])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        var lines = _lines;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var demo = new Process { StartInfo = info };
        demo.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lines.Enqueue(e.Data);
            if (lines.Count(l => l.Contains("READY node=", StringComparison.Ordinal)) == 3) ready.TrySetResult();
        };
        demo.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue("stderr: " + e.Data); };
        demo.Start();
        demo.BeginOutputReadLine();
        demo.BeginErrorReadLine();
        try
        {
            if (whileWriting is not null)
            {
                await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
                await whileWriting();
            }
            await demo.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(100));
        }
        finally
        {
            if (!demo.HasExited) demo.Kill(entireProcessTree: true);
            foreach (var line in lines) output.WriteLine(line);
        }
        return (demo.ExitCode, lines.ToList());
    }

    /// <summary>The node process started with this test's config for <paramref name="node"/>.</summary>
    private int NodePid(string node)
    {
        var config = Path.Combine(_dir, node + ".conf");
        foreach (var proc in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out var pid)) continue;
            string cmdline;
            try { cmdline = File.ReadAllText(Path.Combine(proc, "cmdline")); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            if (cmdline.Split('\0').Contains(config)) return pid;
        }
        throw new InvalidOperationException($"no process runs {config}");
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
