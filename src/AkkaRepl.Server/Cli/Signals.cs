using System.Runtime.InteropServices;

namespace AkkaRepl.Server.Cli;

/// <summary>POSIX signals to child processes (SIGTERM asks a node to leave cleanly).</summary>
internal static partial class Signals
{
    public const int SIGTERM = 15;

    public static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0) throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
