using System.Diagnostics;
using Xunit.Abstractions;

namespace AkkaRepl.Hosting.Tests.Samples;

/// <summary>Runs a sample program from the test output folder and returns its exit code and output.</summary>
internal static class SampleRun
{
    /// <remarks>A sample still running after 90 s is killed, with its child processes (exit code 137).</remarks>
    public static Task<(int ExitCode, string Output)> RunAsync(ITestOutputHelper output, string sample, params string[] args) =>
        RunAsync(output, sample, TimeSpan.FromSeconds(90), args);

    /// <remarks>A sample still running after <paramref name="patience"/> is killed, with its child processes.</remarks>
    public static async Task<(int ExitCode, string Output)> RunAsync(ITestOutputHelper output, string sample, TimeSpan patience, params string[] args)
    {
        using var dir = new Support.TempDir();
        var run = Process.Start(new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, sample + ".dll"), "--dir", dir.Path, .. args])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var printed = run.StandardOutput.ReadToEndAsync();
        var errors = run.StandardError.ReadToEndAsync();
        try
        {
            using var timeout = new CancellationTokenSource(patience);
            await run.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            run.Kill(entireProcessTree: true); // never leave a hung sample (or its node processes) behind
            await run.WaitForExitAsync();
        }
        var text = await printed + await errors;
        output.WriteLine(text);
        if (run.ExitCode != 0) AttachLogs(output, dir.Path);
        return (run.ExitCode, text);
    }

    /// <summary>A failed sample's node logs (samples that run node processes write DIR/ID.log).</summary>
    private static void AttachLogs(ITestOutputHelper output, string dir)
    {
        foreach (var log in Directory.GetFiles(dir, "*.log"))
            output.WriteLine($"--- {Path.GetFileName(log)} ---{Environment.NewLine}{File.ReadAllText(log)}");
    }
}
