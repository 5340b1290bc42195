using System.Diagnostics;

namespace AkkaRepl.Server.Tests.Cli;

/// <summary><c>akkarepl cluster</c> with arguments it cannot use: one clear line and exit code 1, before any node
/// starts (it used to print "unexpected failure (a bug ...)" and a stack trace for a directory it cannot create, and
/// to start nodes that each failed on a port out of range).</summary>
public sealed class ClusterCommandTests
{
    [Theory(Timeout = 60_000)]
    [InlineData("--dir /proc/akkarepl-no-such-dir", "akkarepl: cannot write the cluster's configs to '/proc/akkarepl-no-such-dir': ")]
    [InlineData("--dir {tmp} --base-port 65530", "akkarepl: --base-port 65530 is out of range: with 3 node(s) it must be between 1 and 65513 (node i uses base+10i .. base+10i+2)")]
    [InlineData("--dir {tmp} --base-port 0", "akkarepl: --base-port 0 is out of range: with 3 node(s) it must be between 1 and 65513")]
    [InlineData("--dir {tmp} --nodes 0", "akkarepl: --nodes must be between 1 and 9")]
    public async Task Bad_arguments_get_one_clear_line_and_start_nothing(string arguments, string expected)
    {
        var tmp = Directory.CreateTempSubdirectory("akkarepl-cluster-args-").FullName;
        try
        {
            var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "akkarepl.dll"), "cluster",
                .. arguments.Replace("{tmp}", tmp).Split(' ')])
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
            };
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(45));
            var error = (await stderr).Trim();
            Assert.Equal(1, process.ExitCode);
            Assert.StartsWith(expected, error);
            Assert.DoesNotContain("\n", error);          // one line, no stack trace
            Assert.DoesNotContain("starting", await stdout); // no node was started
        }
        finally { Directory.Delete(tmp, recursive: true); }
    }
}
