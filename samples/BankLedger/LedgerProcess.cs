using System.Collections.Concurrent;
using System.Diagnostics;

/// <summary>
/// The demo's handle on one node process (<see cref="LedgerNode"/>): starts this same program with <c>--node</c>,
/// sends it commands, matches answers to them by tag, and kills it with SIGKILL when asked. The node's log (stderr)
/// goes to <c>DIR/ID.log</c>.
/// </summary>
internal sealed class LedgerProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(20);
    private readonly Process _process;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string[]>> _waiting = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly Task _reading;
    private readonly Task _logging;
    private long _tags;

    private LedgerProcess(string id, Process process, string logFile, Action<string[]> onRole)
    {
        Id = id;
        _process = process;
        _reading = Task.Run(() => ReadAsync(onRole));
        _logging = Task.Run(async () =>
        {
            await using var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
            while (await _process.StandardError.ReadLineAsync() is { } line) await log.WriteLineAsync(line);
        });
    }

    public string Id { get; }
    public int Pid => _process.Id;
    /// <summary>True once the process is gone (its stdout closed).</summary>
    public bool Exited { get; private set; }
    /// <summary>Completes when the node runs; faults when the process exits first.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Starts node <paramref name="id"/>; <paramref name="onRole"/> gets each <c>role</c> line's words.</summary>
    public static LedgerProcess Start(string id, string dir, IReadOnlyList<MemberPorts> members, Action<string[]> onRole)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program runs this demo");
        var info = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        // Run as `dotnet BankLedger.dll` or as the BankLedger app host: start the node the same way.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") info.ArgumentList.Add(typeof(LedgerProcess).Assembly.Location);
        foreach (var arg in new[] { "--node", id, "--dir", dir, "--members", string.Join(',', members) }) info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start node {id}");
        return new LedgerProcess(id, process, Path.Combine(dir, id + ".log"), onRole);
    }

    /// <summary>Sends one command and returns the answer's words (<c>ok</c>, <c>refused</c>, <c>failed</c> or <c>audit</c>
    /// first). A node that died or did not answer in time gives <c>failed TAG Exited|Timeout ...</c>: outcome unknown.</summary>
    public async Task<string[]> SendAsync(string verb, params object[] args)
    {
        var tag = Interlocked.Increment(ref _tags).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var answer = new TaskCompletionSource<string[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[tag] = answer;
        try
        {
            if (Exited) return ["failed", tag, "Exited", $"node {Id} is not running"];
            await _send.WaitAsync();
            try
            {
                await _process.StandardInput.WriteLineAsync($"{verb} {tag} {string.Join(' ', args)}");
                await _process.StandardInput.FlushAsync();
            }
            finally { _send.Release(); }
            return await answer.Task.WaitAsync(ReplyTimeout);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or ObjectDisposedException)
        {
            return ["failed", tag, ex is TimeoutException ? "Timeout" : "Exited", $"no answer from node {Id}: {ex.Message}"];
        }
        finally { _waiting.TryRemove(tag, out _); }
    }

    /// <summary>kill -9: the node gets no chance to flush, close sockets or say goodbye.</summary>
    public async Task KillAsync()
    {
        _process.Kill(); // SIGKILL on Linux and macOS
        await _process.WaitForExitAsync();
        await _reading;
    }

    /// <summary>Closes stdin (the node stops its host and exits); kills it if it has not exited within 20 s.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { _process.StandardInput.Close(); } catch (IOException) { }
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try { await _process.WaitForExitAsync(patience.Token); }
            catch (OperationCanceledException) { _process.Kill(); await _process.WaitForExitAsync(); }
        }
        await Task.WhenAll(_reading, _logging);
        _process.Dispose();
    }

    private async Task ReadAsync(Action<string[]> onRole)
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            var words = line.Split(' ');
            switch (words)
            {
                case ["ready", ..]: _ready.TrySetResult(); break;
                case ["role", ..]: onRole(words); break;
                case [_, var tag, ..] when _waiting.TryGetValue(tag, out var answer): answer.TrySetResult(words); break;
            }
        }
        Exited = true;
        _ready.TrySetException(new InvalidOperationException($"node {Id} exited before it was ready; see its log"));
        foreach (var (tag, answer) in _waiting) answer.TrySetResult(["failed", tag, "Exited", $"node {Id} exited"]);
    }
}
