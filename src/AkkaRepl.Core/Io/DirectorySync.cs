using System.Runtime.InteropServices;

namespace AkkaRepl.Core.Io;

/// <summary>fsync of a directory, so a rename or a new file inside it survives power loss (Linux; a no-op
/// elsewhere, where the file system orders metadata itself). A failure throws: a rename that may not be durable
/// must not be reported as done.</summary>
public static partial class DirectorySync
{
    private const int ReadOnly = 0;
    private const int Directory = 0x10000; // O_DIRECTORY on Linux

    public static void Sync(string directory)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = Open(directory, ReadOnly | Directory);
        if (fd < 0)
            throw new IOException($"cannot open directory '{directory}' to flush it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0)
                throw new IOException($"fsync of directory '{directory}' failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally { _ = Close(fd); }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
