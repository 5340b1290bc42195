using System.Collections;
using System.CommandLine;
using System.Runtime.InteropServices;
using AkkaRepl.Core.Config;
using AkkaRepl.Server.Node;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Server.Cli;

/// <summary><c>akkarepl node</c>: runs one node until SIGTERM or Ctrl-C, then leaves cleanly.</summary>
internal static class NodeCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "HOCON file with the node's configuration (see hocon/reference.conf)." };
        var nodeId = new Option<string?>("--node-id") { Description = "This node's id (akkarepl.node.node-id)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory of the WAL and snapshots (akkarepl.node.data-dir)." };
        var respPort = new Option<int?>("--resp-port") { Description = "Redis-protocol port; 0 picks a free port." };
        var httpPort = new Option<int?>("--http-port") { Description = "HTTP admin port; 0 picks a free port." };
        var replPort = new Option<int?>("--repl-port") { Description = "Replication port; 0 picks a free port." };
        var set = new Option<string[]>("--set") { Description = "Override any key: --set akkarepl.wal.segment-size=\"8 MiB\" (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Least level of log lines written to stderr.", DefaultValueFactory = _ => LogLevel.Information };

        var command = new Command("node", "Run one node: WAL, key-value store, Redis protocol and HTTP status.");
        foreach (var o in new Option[] { config, nodeId, dataDir, respPort, httpPort, replPort, set, logLevel }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var flags = new Dictionary<string, string>();
            void Flag(string path, object? value) { if (value is not null) flags[path] = value.ToString()!; }
            Flag("akkarepl.node.node-id", parse.GetValue(nodeId));
            Flag("akkarepl.node.data-dir", parse.GetValue(dataDir));
            Flag("akkarepl.node.resp-port", parse.GetValue(respPort));
            Flag("akkarepl.node.http-port", parse.GetValue(httpPort));
            Flag("akkarepl.node.replication-port", parse.GetValue(replPort));
            try
            {
                var options = NodeConfigLoader.Load(parse.GetValue(config)?.FullName, parse.GetValue(set) ?? [], flags, Environment());
                Resp.SocketCompletions.SetDefault(options); // before any socket exists
                using var loggers = CliLogging.Create(parse.GetValue(logLevel));
                return await RunAsync(options, loggers).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                return CliErrors.Report(ex);
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(Core.Options.AkkaReplOptions options, ILoggerFactory loggers)
    {
        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

        var start = new NodeStartOptions
        {
            // Announced before recovery, so scripts and tests can watch a long start-up on /status; READY still
            // comes only once the node serves.
            HttpListening = port =>
            {
                Console.Out.WriteLine($"RECOVERING node={options.Node.NodeId} http={port}");
                Console.Out.Flush();
            },
            TestOnlyRecoveryPausePerSegment = TestOnlyRecoveryPause(),
        };
        var node = await NodeHost.StartAsync(options, loggers, start, stop.Token).ConfigureAwait(false);
        try
        {
            Console.Out.WriteLine($"READY node={node.NodeId} resp={node.RespPort} http={node.HttpPort} repl={node.ReplicationPort}");
            Console.Out.Flush();
            await Task.WhenAny(node.Failure, Task.Delay(Timeout.Infinite, stop.Token)).ConfigureAwait(false);
        }
        finally
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
        if (node.Failure.IsFaulted) return CliErrors.Report(node.Failure.Exception!.InnerException!);
        return CliErrors.Ok;
    }

    /// <summary>The test-only recovery pause (see <see cref="NodeStartOptions.TestOnlyRecoveryPausePerSegment"/>); a
    /// value that is not a non-negative whole number of milliseconds is refused rather than ignored.</summary>
    private static TimeSpan? TestOnlyRecoveryPause()
    {
        const string name = "AKKAREPL_TEST_ONLY_RECOVERY_PAUSE_PER_SEGMENT_MS";
        var text = System.Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrEmpty(text)) return null;
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms)
            ? TimeSpan.FromMilliseconds(ms)
            : throw new Core.Errors.ConfigException($"{name} = '{text}' is not a whole number of milliseconds");
    }

    private static Dictionary<string, string> Environment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in System.Environment.GetEnvironmentVariables())
            env[(string)e.Key] = (string?)e.Value ?? "";
        return env;
    }
}
