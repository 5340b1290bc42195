using System.Runtime.InteropServices;

namespace AkkaRepl.Testing.Nodes;

/// <summary>POSIX signals through libc's kill(2), because .NET offers only SIGKILL (Process.Kill).</summary>
internal static partial class Posix
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    // SIGSTOP and SIGCONT differ between Linux and the BSDs/macOS.
    public static int SigStop => OperatingSystem.IsLinux() ? 19 : 17;
    public static int SigCont => OperatingSystem.IsLinux() ? 18 : 19;

    public static void Signal(int pid, int signal)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            throw new PlatformNotSupportedException("Node processes are signalled with POSIX kill(2): Linux or macOS only.");
        if (Kill(pid, signal) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {errno}.");
        }
    }

    /// <summary>
    /// The one-letter state from /proc/&lt;pid&gt;/stat ('R', 'S', 'T' stopped, 'Z' zombie...), or null when the process
    /// is gone or there is no /proc.
    /// </summary>
    public static char? ProcessState(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        // "pid (comm) S ...": comm may hold spaces and parentheses, so the state follows the last ')'.
        var close = stat.LastIndexOf(')');
        return close >= 0 && close + 2 < stat.Length ? stat[close + 2] : null;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
