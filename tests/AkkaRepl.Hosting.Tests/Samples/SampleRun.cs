using System.Diagnostics;
using Xunit.Abstractions;

namespace AkkaRepl.Hosting.Tests.Samples;

/// <summary>Runs a sample program from the test output folder and returns its exit code and output.</summary>
internal static class SampleRun
{
    /// <remarks>A sample still running after 90 s is killed (exit code 137).</remarks>
    public static async Task<(int ExitCode, string Output)> RunAsync(ITestOutputHelper output, string sample, params string[] args)
    {
        using var dir = new Support.TempDir();
        var run = Process.Start(new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, sample + ".dll"), "--dir", dir.Path, .. args])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var printed = run.StandardOutput.ReadToEndAsync();
        var errors = run.StandardError.ReadToEndAsync();
        try
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await run.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            run.Kill(entireProcessTree: true); // never leave a hung sample behind
            await run.WaitForExitAsync();
        }
        var text = await printed + await errors;
        output.WriteLine(text);
        return (run.ExitCode, text);
    }
}
