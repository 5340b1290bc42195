using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AkkaRepl.Server.Tests.Cli;

/// <summary>Commands given arguments they cannot use: one clear line (the last on stderr, no stack trace) and exit
/// code 1, before anything starts. Each of these used to print "unexpected failure (a bug ...)" and a stack trace (a
/// directory it cannot create or that is a file, a seed that is no address), or to start nodes that each failed on a
/// port out of range.</summary>
public sealed class CliBadArgumentTests
{
    [Theory(Timeout = 60_000)]
    [InlineData("cluster --dir /proc/akkarepl-no-such-dir", "akkarepl: cannot write the cluster's configs to '/proc/akkarepl-no-such-dir': ")]
    [InlineData("cluster --dir {tmp} --base-port 65530", "akkarepl: --base-port 65530 is out of range: with 3 node(s) it must be between 1 and 65513 (node i uses base+10i .. base+10i+2)")]
    [InlineData("cluster --dir {tmp} --base-port 0", "akkarepl: --base-port 0 is out of range: with 3 node(s) it must be between 1 and 65513")]
    [InlineData("cluster --dir {tmp} --nodes 0", "akkarepl: --nodes must be between 1 and 9")]
    [InlineData("bench reads --seeds nonsense", "akkarepl: --seeds: 'nonsense' is not a node address: expected host:port")]
    [InlineData("bench fsync --dir /proc/akkarepl-no-such-dir", "akkarepl: cannot create '/proc/akkarepl-no-such-dir' to measure in: ")]
    [InlineData("backup --node 127.0.0.1:1 --to /proc/akkarepl-no-such-dir/b", "akkarepl: cannot create '/proc/akkarepl-no-such-dir' for the backup: ")]
    [InlineData("node --data-dir /proc/akkarepl-no-such-dir", "akkarepl: cannot use data directory '/proc/akkarepl-no-such-dir': ")]
    [InlineData("node --data-dir /proc/version", "akkarepl: cannot use data directory '/proc/version': ")]
    public async Task Bad_arguments_get_one_clear_line_and_start_nothing(string arguments, string expected)
    {
        var tmp = Directory.CreateTempSubdirectory("akkarepl-cli-args-").FullName;
        try
        {
            var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "akkarepl.dll"),
                .. arguments.Replace("{tmp}", tmp).Split(' ')])
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
            };
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(45));
            // The message is the last line; a node may log to stderr before it.
            var lines = (await stderr).Trim().Split('\n');
            Assert.Equal(1, process.ExitCode);
            Assert.StartsWith(expected, lines[^1]);
            Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("unexpected failure"));
            Assert.DoesNotContain("starting", await stdout); // no node was started (cluster)
        }
        finally { Directory.Delete(tmp, recursive: true); }
    }

    /// <summary>A port in use: the node's own line naming the setting is the only thing on stderr. It used to follow
    /// the admin host's error with the whole exception on one line, and "Node node1 stopping" for a node that never
    /// started.</summary>
    [Fact(Timeout = 60_000)]
    public async Task A_port_in_use_gets_one_line_that_names_the_setting()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var tmp = Directory.CreateTempSubdirectory("akkarepl-cli-port-").FullName;
        try
        {
            var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "akkarepl.dll"),
                "node", "--data-dir", Path.Combine(tmp, "d"), "--resp-port", "0", "--repl-port", "0", "--http-port", port.ToString()])
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
            };
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(45));
            var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(1, process.ExitCode);
            var line = Assert.Single(lines);
            Assert.StartsWith($"akkarepl: cannot listen on port {port} (akkarepl.node.http-port): ", line);
            Assert.DoesNotContain("READY", await stdout);
        }
        finally { Directory.Delete(tmp, recursive: true); }
    }
}
