using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace AkkaRepl.Testing.Nodes;

/// <summary>
/// One node run as a child process: started from a <see cref="NodeProcessStartInfo"/>, ready once its stdout shows
/// the ready line, with stdout and stderr captured into <see cref="Log"/>. It can be killed (SIGKILL, whole tree),
/// stopped (SIGTERM, then SIGKILL after a timeout), paused (SIGSTOP) and resumed (SIGCONT), and restarted with the
/// same data directory. One instance spans restarts, so its log covers every run.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Regex _ready;
    private readonly object _gate = new();
    private Run? _run;
    private NodeEndpoints? _endpoints;
    private int _runs;
    private bool _disposed;

    private NodeProcess(NodeProcessStartInfo startInfo)
    {
        StartInfo = startInfo;
        Log = new NodeLog(startInfo.MaxLogLines);
        _ready = new Regex(startInfo.ReadyLinePattern, RegexOptions.CultureInvariant);
    }

    /// <summary>How this node is started.</summary>
    public NodeProcessStartInfo StartInfo { get; }

    /// <summary>The node's name (from the start info).</summary>
    public string Name => StartInfo.Name;

    /// <summary>Everything the node printed, plus the harness's own notes, over all runs.</summary>
    public NodeLog Log { get; }

    /// <summary>What the current (or last) run announced in its ready line.</summary>
    public NodeEndpoints Endpoints =>
        _endpoints ?? throw new InvalidOperationException($"Node {Name} has not announced readiness.");

    /// <summary>The current run's process id.</summary>
    public int ProcessId => CurrentRun.Process.Id;

    /// <summary>True when the current run's process has exited (or never started).</summary>
    public bool HasExited => _disposed || (_run?.Process.HasExited ?? true);

    /// <summary>The exit code of the last run once it exited; null while running.</summary>
    public int? ExitCode => _run is { } run && (run.ExitCode is not null || (!_disposed && run.Process.HasExited)) ? run.ExitCode ?? run.Process.ExitCode : null;

    /// <summary>
    /// The kernel's one-letter state of the current process from /proc ('S' sleeping, 'R' running, 'T' stopped,
    /// 'Z' zombie); null when it is gone or the OS has no /proc.
    /// </summary>
    public char? KernelState => _run is { } run ? Posix.ProcessState(run.Process.Id) : null;

    /// <summary>True between <see cref="PauseAsync"/> and <see cref="ResumeAsync"/>.</summary>
    public bool IsPaused { get; private set; }

    private Run CurrentRun => _run ?? throw new InvalidOperationException($"Node {Name} is not started.");

    /// <summary>Starts the process and waits for its ready line.</summary>
    /// <exception cref="NodeStartException">It exited before ready or did not become ready in time; the message includes its log.</exception>
    public static async Task<NodeProcess> StartAsync(NodeProcessStartInfo startInfo, CancellationToken ct = default)
    {
        var node = new NodeProcess(startInfo);
        try
        {
            await node.StartRunAsync(startInfo.Arguments, ct).ConfigureAwait(false);
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return node;
    }

    /// <summary>SIGKILL to the process and all its descendants; returns when it has exited.</summary>
    public async Task KillAsync()
    {
        if (_disposed || _run is not { } run || run.Process.HasExited)
            return;
        Log.Add(NodeLogSource.Harness, $"SIGKILL pid {run.Process.Id} (tree)");
        try
        {
            run.Process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
        await WaitForExitAsync(run, Timeout.InfiniteTimeSpan).ConfigureAwait(false);
        IsPaused = false;
    }

    /// <summary>
    /// SIGTERM (preceded by SIGCONT when paused), waits up to <paramref name="timeout"/> (default
    /// <see cref="NodeProcessStartInfo.StopTimeout"/>) for a clean exit, then SIGKILL. Returns the exit code.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        var run = CurrentRun;
        if (!run.Process.HasExited)
        {
            Log.Add(NodeLogSource.Harness, $"SIGTERM pid {run.Process.Id}");
            TrySignal(run, Posix.SigTerm);
            if (IsPaused)
            {
                TrySignal(run, Posix.SigCont);
                IsPaused = false;
            }
            if (!await WaitForExitAsync(run, timeout ?? StartInfo.StopTimeout).ConfigureAwait(false))
            {
                Log.Add(NodeLogSource.Harness, $"no exit within {(timeout ?? StartInfo.StopTimeout).TotalSeconds:F1}s of SIGTERM");
                await KillAsync().ConfigureAwait(false);
            }
        }
        return run.Process.ExitCode;
    }

    /// <summary>SIGSTOP; returns once the kernel reports the process stopped (state 'T' where /proc exists).</summary>
    public async Task PauseAsync(CancellationToken ct = default)
    {
        var run = CurrentRun;
        Log.Add(NodeLogSource.Harness, $"SIGSTOP pid {run.Process.Id}");
        Posix.Signal(run.Process.Id, Posix.SigStop);
        IsPaused = true;
        await WaitForStateAsync(run, stopped: true, ct).ConfigureAwait(false);
    }

    /// <summary>SIGCONT; returns once the process is no longer reported stopped.</summary>
    public async Task ResumeAsync(CancellationToken ct = default)
    {
        var run = CurrentRun;
        Log.Add(NodeLogSource.Harness, $"SIGCONT pid {run.Process.Id}");
        Posix.Signal(run.Process.Id, Posix.SigCont);
        IsPaused = false;
        await WaitForStateAsync(run, stopped: false, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the node if it runs (SIGTERM), then starts it again with the same data directory and, when the start info
    /// allows, the same ports. Falls back to the original arguments if the pinned ports cannot be used.
    /// </summary>
    public async Task RestartAsync(CancellationToken ct = default)
    {
        if (!HasExited)
            await StopAsync().ConfigureAwait(false);
        if (StartInfo.RestartArguments is { } pinned && _endpoints is { } previous)
        {
            try
            {
                await StartRunAsync(pinned(previous), ct).ConfigureAwait(false);
                return;
            }
            catch (NodeStartException e) when (!ct.IsCancellationRequested)
            {
                Log.Add(NodeLogSource.Harness, $"restart with the previous ports failed, retrying with the original arguments: {FirstLine(e.Message)}");
            }
        }
        await StartRunAsync(StartInfo.Arguments, ct).ConfigureAwait(false);
    }

    /// <summary>What the current (or last) run wrote to <paramref name="source"/>: for a run that exited before ready,
    /// what it said (a restart that fails on its pinned ports runs twice; only the second run counts).</summary>
    public IReadOnlyList<string> LinesOfLastRun(NodeLogSource source)
    {
        var since = _run?.StartedAt ?? DateTimeOffset.MaxValue;
        return Log.Snapshot().Where(l => l.Source == source && l.At >= since).Select(l => l.Text).ToArray();
    }

    /// <summary>Kills the process tree if it still runs.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        await KillAsync().ConfigureAwait(false);
        _disposed = true;
        _run?.Process.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} (pid {(_run is null ? "-" : _run.Process.Id)}, {(HasExited ? "exited" : IsPaused ? "paused" : "running")})";

    private async Task StartRunAsync(IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(StartInfo.FileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = StartInfo.WorkingDirectory ?? string.Empty,
        };
        foreach (var argument in arguments)
            psi.ArgumentList.Add(argument);
        foreach (var (key, value) in StartInfo.Environment)
            psi.Environment[key] = value;

        var number = Interlocked.Increment(ref _runs);
        Log.Add(NodeLogSource.Harness, $"run {number}: {StartInfo.FileName} {string.Join(' ', arguments.Select(Quote))}");
        var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            throw new NodeStartException($"Node {Name} could not start '{StartInfo.FileName}': {e.Message}");
        }
        // The node must not read the test runner's stdin.
        process.StandardInput.Close();

        var run = new Run(process);
        lock (_gate)
        {
            _run?.Process.Dispose();
            _run = run;
            IsPaused = false;
        }
        run.Readers = Task.WhenAll(
            PumpAsync(process.StandardOutput, NodeLogSource.Stdout, run),
            PumpAsync(process.StandardError, NodeLogSource.Stderr, run));
        Log.Add(NodeLogSource.Harness, $"run {number}: pid {process.Id}");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StartInfo.ReadyTimeout);
        var exited = process.WaitForExitAsync(timeout.Token);
        try
        {
            await Task.WhenAny(run.Ready.Task, exited).ConfigureAwait(false);
            if (!run.Ready.Task.IsCompleted && exited.IsCompletedSuccessfully)
            {
                // Exited: the ready line may still sit in the pipe, so drain stdout before deciding.
                await run.Readers.WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (TimeoutException)
        {
            // Readers held open by a grandchild: decide on what was read.
        }

        if (run.Ready.Task.IsCompletedSuccessfully)
        {
            _endpoints = await run.Ready.Task.ConfigureAwait(false);
            return;
        }
        if (process.HasExited)
        {
            Log.Add(NodeLogSource.Harness, $"exited with code {process.ExitCode} before ready");
            throw new NodeStartException(
                $"Node {Name} exited with code {process.ExitCode} before printing its ready line (pattern {StartInfo.ReadyLinePattern}).\nLog of {Name}:\n{Log}");
        }
        if (ct.IsCancellationRequested)
        {
            Log.Add(NodeLogSource.Harness, "start cancelled; killing");
            await KillAsync().ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
        }
        Log.Add(NodeLogSource.Harness, $"not ready within {StartInfo.ReadyTimeout.TotalSeconds:F1}s; killing");
        await KillAsync().ConfigureAwait(false);
        throw new NodeStartException(
            $"Node {Name} did not print its ready line within {StartInfo.ReadyTimeout.TotalSeconds:F1}s (pattern {StartInfo.ReadyLinePattern}).\nLog of {Name}:\n{Log}");
    }

    private async Task PumpAsync(StreamReader reader, NodeLogSource source, Run run)
    {
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                Log.Add(source, line);
                if (source == NodeLogSource.Stdout && !run.Ready.Task.IsCompleted && _ready.Match(line) is { Success: true } match)
                    run.Ready.TrySetResult(Parse(line, match));
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe broke with the process: what was read is logged.
        }
    }

    private static NodeEndpoints Parse(string line, Match match)
    {
        return new NodeEndpoints(line, Group("node"), Port("resp"), Port("http"), Port("repl"));

        string? Group(string name) => match.Groups[name] is { Success: true } g ? g.Value : null;

        int? Port(string name) =>
            Group(name) is { } text && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : null;
    }

    private async Task<bool> WaitForExitAsync(Run run, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource();
        if (timeout != Timeout.InfiniteTimeSpan)
            cts.CancelAfter(timeout);
        try
        {
            await run.Process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        if (Interlocked.Exchange(ref run.ExitLogged, 1) == 0)
        {
            run.ExitCode = run.Process.ExitCode;
            Log.Add(NodeLogSource.Harness, $"pid {run.Process.Id} exited with code {run.Process.ExitCode}");
        }
        return true;
    }

    private void TrySignal(Run run, int signal)
    {
        try
        {
            Posix.Signal(run.Process.Id, signal);
        }
        catch (InvalidOperationException e)
        {
            // Most likely exited between the check and the signal.
            Log.Add(NodeLogSource.Harness, e.Message);
        }
    }

    private static async Task WaitForStateAsync(Run run, bool stopped, CancellationToken ct)
    {
        if (!OperatingSystem.IsLinux())
            return;
        // The kernel applies the signal asynchronously: wait for the state it reports.
        try
        {
            await Waits.Eventually.WaitAsync(() => Posix.ProcessState(run.Process.Id) is not { } state || (state == 'T') == stopped,
                TimeSpan.FromSeconds(5), $"pid {run.Process.Id} to be {(stopped ? "stopped" : "running")}", ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(
                $"pid {run.Process.Id} still in state '{Posix.ProcessState(run.Process.Id)}' 5 s after {(stopped ? "SIGSTOP" : "SIGCONT")}.");
        }
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => !char.IsWhiteSpace(c) && c is not '\'' and not '"') ? argument : $"'{argument.Replace("'", "'\\''")}'";

    private static string FirstLine(string text) => text.Split('\n', 2)[0];

    private sealed class Run(Process process)
    {
        public Process Process { get; } = process;

        public TaskCompletionSource<NodeEndpoints> Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Readers { get; set; } = Task.CompletedTask;

        public int ExitLogged;

        public int? ExitCode { get; set; }

        public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;
    }
}
