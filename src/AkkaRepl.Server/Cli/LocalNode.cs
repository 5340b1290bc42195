using System.Diagnostics;
using System.Reflection;
using AkkaRepl.Core.Errors;

namespace AkkaRepl.Server.Cli;

/// <summary>One node process of a <see cref="LocalCluster"/>.</summary>
internal sealed class LocalNode
{
    private readonly Process _process;
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _lastLines = [];

    private LocalNode(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }
    public int RespPort { get; private set; }
    public int HttpPort { get; private set; }
    public int Pid => _process.Id;

    /// <summary>Starts this same program with <paramref name="args"/> (through dotnet when it runs as a dll).</summary>
    public static LocalNode Start(string name, IReadOnlyList<string> args, Action<string, string> onLine)
    {
        var self = Environment.ProcessPath ?? throw new AkkaReplException("cannot find this program's path to start nodes");
        var info = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            info.FileName = self;
            info.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }
        else
        {
            info.FileName = self;
        }
        foreach (var a in args) info.ArgumentList.Add(a);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var node = new LocalNode(name, process);
        process.OutputDataReceived += (_, e) => node.OnLine(e.Data, onLine, stdout: true);
        process.ErrorDataReceived += (_, e) => node.OnLine(e.Data, onLine, stdout: false);
        process.Exited += (_, _) => node._ready.TrySetException(new AkkaReplException(
            $"node {name} exited with code {process.ExitCode} before it was ready:{Environment.NewLine}{string.Join(Environment.NewLine, node.LastLines)}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    public IReadOnlyList<string> LastLines { get { lock (_lastLines) return _lastLines.ToList(); } }

    public Task WaitReadyAsync(CancellationToken ct) => _ready.Task.WaitAsync(ct);

    public void Terminate()
    {
        if (_process.HasExited) return;
        try { Signals.Send(_process.Id, Signals.SIGTERM); } catch (Exception) { /* already gone */ }
    }

    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
    }

    public async Task WaitExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { Kill(); await _process.WaitForExitAsync().ConfigureAwait(false); }
    }

    private void OnLine(string? line, Action<string, string> onLine, bool stdout)
    {
        if (line is null) return;
        lock (_lastLines)
        {
            _lastLines.Add(line);
            if (_lastLines.Count > 30) _lastLines.RemoveAt(0);
        }
        if (stdout && line.StartsWith("READY ", StringComparison.Ordinal))
        {
            foreach (var part in line.Split(' '))
            {
                if (part.StartsWith("resp=", StringComparison.Ordinal)) RespPort = int.Parse(part[5..]);
                if (part.StartsWith("http=", StringComparison.Ordinal)) HttpPort = int.Parse(part[5..]);
            }
            _ready.TrySetResult(line);
        }
        onLine(Name, line);
    }
}
