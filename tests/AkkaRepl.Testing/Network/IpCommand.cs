using System.Diagnostics;

namespace AkkaRepl.Testing.Network;

/// <summary>Runs iproute2's <c>ip</c> and turns a failure into an exception that quotes the command and its error.</summary>
internal static class IpCommand
{
    public static string Run(params string[] args)
    {
        var (code, output, error) = TryRun(args);
        if (code != 0)
            throw new InvalidOperationException($"`ip {string.Join(' ', args)}` failed with exit code {code}: {error.Trim()}");
        return output;
    }

    public static (int ExitCode, string Output, string Error) TryRun(params string[] args)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start `ip`");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        // `ip` finishes in milliseconds; the bound only keeps a wedged kernel from hanging a spec forever.
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill();
            return (-1, "", $"`ip {string.Join(' ', args)}` did not finish in 30 s");
        }
        return (process.ExitCode, output.Result, error.Result);
    }
}
