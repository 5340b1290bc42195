using System.Diagnostics;

namespace AkkaRepl.Wal.Tests.Support;

/// <summary>
/// A tiny tmpfs mounted for one test (needs root and mount rights, as in CI). Used to get a real full disk
/// (ENOSPC) and a real read-only file system (EROFS); chmod cannot do the latter because root ignores it.
/// </summary>
public sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="sizeBytes"/>; returns null with the reason when it cannot.</summary>
    public static Tmpfs? TryMount(long sizeBytes, out string reason)
    {
        reason = "";
        if (!OperatingSystem.IsLinux()) { reason = "tmpfs needs Linux"; return null; }
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "akkarepl-tmpfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        var (code, output) = Run("mount", $"-t tmpfs -o size={sizeBytes} tmpfs {path}");
        if (code != 0)
        {
            Directory.Delete(path);
            reason = $"cannot mount a tmpfs (needs root and CAP_SYS_ADMIN): {output.Trim()}";
            return null;
        }
        return new Tmpfs(path);
    }

    public void RemountReadOnly()
    {
        var (code, output) = Run("mount", $"-o remount,ro {Path}");
        if (code != 0) throw new InvalidOperationException($"remount read-only of {Path} failed: {output}");
    }

    public void Dispose()
    {
        Run("umount", Path);
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }

    private static (int Code, string Output) Run(string file, string args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }
}
