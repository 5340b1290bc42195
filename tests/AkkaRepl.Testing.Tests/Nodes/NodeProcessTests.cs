using AkkaRepl.Testing.Nodes;
using AkkaRepl.Testing.Waits;

namespace AkkaRepl.Testing.Tests.Nodes;

public sealed class NodeProcessTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [Fact(Timeout = 30_000)]
    public async Task Start_waits_for_the_ready_line_and_parses_the_ports()
    {
        await using var node = await NodeProcess.StartAsync(Shell.Script("echo warming up; echo oops >&2; " + Shell.ReadyThenSleep));

        Assert.Equal(new NodeEndpoints("READY node=a resp=1 http=2 repl=3", "a", 1, 2, 3), node.Endpoints);
        Assert.False(node.HasExited);
        Assert.True(node.Log.Contains("warming up"));
        await Eventually.WaitAsync(() => node.Log.Snapshot().Any(l => l.Source == NodeLogSource.Stderr && l.Text == "oops"), Wait, "stderr in the log");
    }

    [Fact(Timeout = 30_000)]
    public async Task Kill_ends_the_process_at_once()
    {
        await using var node = await NodeProcess.StartAsync(Shell.Script(Shell.ReadyThenSleep));
        var pid = node.ProcessId;

        await node.KillAsync();

        Assert.True(node.HasExited);
        Assert.Equal(137, node.ExitCode);
        Assert.False(File.Exists($"/proc/{pid}/stat") && node.KernelState is not null and not 'Z', $"pid {pid} still alive");
    }

    [Fact(Timeout = 30_000)]
    public async Task Kill_takes_the_whole_process_tree()
    {
        // The shell stays the parent of a background sleep that writes its pid.
        await using var node = await NodeProcess.StartAsync(Shell.Script(
            "sleep 30 & echo child=$!; " + "echo READY node=a resp=1 http=2 repl=3; wait"));
        var line = await Eventually.WaitAsync(
            () => Task.FromResult(node.Log.Snapshot().FirstOrDefault(l => l.Text.StartsWith("child=", StringComparison.Ordinal))),
            l => l is not null, Wait, "the child's pid");
        var child = int.Parse(line!.Text["child=".Length..]);

        await node.KillAsync();

        await Eventually.WaitAsync(() => !Directory.Exists($"/proc/{child}") || File.ReadAllText($"/proc/{child}/stat").Contains(") Z"), Wait,
            $"child pid {child} to be gone");
    }

    [Fact(Timeout = 30_000)]
    public async Task Stop_sends_SIGTERM_and_returns_the_exit_code()
    {
        await using var node = await NodeProcess.StartAsync(Shell.Script(Shell.ReadyThenSleep));

        var code = await node.StopAsync();

        Assert.Equal(143, code);
        Assert.True(node.Log.Contains("SIGTERM"));
    }

    [Fact(Timeout = 30_000)]
    public async Task Stop_falls_back_to_SIGKILL_when_SIGTERM_is_ignored()
    {
        await using var node = await NodeProcess.StartAsync(Shell.Script(
            "trap '' TERM; echo READY node=a resp=1 http=2 repl=3; while true; do sleep 1; done"));

        var code = await node.StopAsync(TimeSpan.FromMilliseconds(300));

        Assert.Equal(137, code);
        Assert.True(node.Log.Contains("no exit within"), node.Log.ToString());
    }

    [Fact(Timeout = 30_000)]
    public async Task Pause_stops_the_process_and_resume_continues_it()
    {
        await using var node = await NodeProcess.StartAsync(Shell.Script(Shell.ReadyThenSleep));

        await node.PauseAsync();
        Assert.Equal('T', node.KernelState);
        Assert.True(node.IsPaused);

        await node.ResumeAsync();
        Assert.NotEqual('T', node.KernelState);
        Assert.False(node.HasExited);
    }

    [Fact(Timeout = 30_000)]
    public async Task Stopping_a_paused_node_still_ends_it_cleanly()
    {
        await using var node = await NodeProcess.StartAsync(Shell.Script(Shell.ReadyThenSleep));
        await node.PauseAsync();

        Assert.Equal(143, await node.StopAsync());
    }

    [Fact(Timeout = 30_000)]
    public async Task Exit_before_ready_fails_with_the_node_log()
    {
        var error = await Assert.ThrowsAsync<NodeStartException>(
            () => NodeProcess.StartAsync(Shell.Script("echo loading config; echo 'bad config: no port' >&2; exit 3")));

        Assert.Contains("exited with code 3", error.Message);
        Assert.Contains("loading config", error.Message);
        Assert.Contains("bad config: no port", error.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_node_that_never_gets_ready_times_out_and_is_killed()
    {
        var error = await Assert.ThrowsAsync<NodeStartException>(
            () => NodeProcess.StartAsync(Shell.Script("echo stuck; exec sleep 30") with { ReadyTimeout = TimeSpan.FromMilliseconds(500) }));

        Assert.Contains("did not print its ready line", error.Message);
        Assert.Contains("stuck", error.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task Restart_passes_the_previous_ports_to_the_new_run()
    {
        var info = Shell.Script("echo READY node=a resp=41 http=42 repl=43; exec sleep 30") with
        {
            RestartArguments = previous => ["-c", $"echo READY node=a resp={previous.RespPort} http={previous.HttpPort} repl=99; exec sleep 30"],
        };
        await using var node = await NodeProcess.StartAsync(info);
        var firstPid = node.ProcessId;

        await node.RestartAsync();

        Assert.NotEqual(firstPid, node.ProcessId);
        Assert.Equal((41, 42, 99), (node.Endpoints.Resp, node.Endpoints.Http, node.Endpoints.Repl));
        Assert.True(node.Log.Contains("run 2"));
    }

    [Fact(Timeout = 30_000)]
    public async Task Restart_falls_back_to_the_original_arguments_when_the_pinned_start_fails()
    {
        var info = Shell.Script(Shell.ReadyThenSleep) with
        {
            RestartArguments = _ => ["-c", "echo 'address in use' >&2; exit 1"],
        };
        await using var node = await NodeProcess.StartAsync(info);
        await node.KillAsync();

        await node.RestartAsync();

        Assert.False(node.HasExited);
        Assert.True(node.Log.Contains("retrying with the original arguments"), node.Log.ToString());
    }

    [Fact(Timeout = 30_000)]
    public async Task The_log_keeps_only_the_newest_lines()
    {
        var log = new NodeLog(capacity: 3);
        for (var i = 0; i < 5; i++)
            log.Add(NodeLogSource.Stdout, $"line {i}");

        Assert.Equal(["line 2", "line 3", "line 4"], log.Snapshot().Select(l => l.Text));
        Assert.Equal(2, log.Dropped);
        Assert.StartsWith("(2 older lines dropped)", log.ToString());
        await Task.CompletedTask;
    }
}
