using System.Runtime.InteropServices;
using AkkaRepl.Core.Errors;
using Microsoft.Win32.SafeHandles;

namespace AkkaRepl.Wal.Io;

/// <summary>
/// The few system calls .NET does not offer: fdatasync on a file (data and the size, not mtime: half the
/// journal work of fsync), fsync on a file, and fsync on a directory (so a created, renamed or deleted
/// segment name survives power loss). Every failure becomes a <see cref="StorageUnavailableException"/>
/// naming the path and the OS error.
/// </summary>
internal static partial class NativeIo
{
    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FDataSync(int fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "posix_fadvise", SetLastError = true)]
    private static partial int PosixFadvise(int fd, long offset, long length, int advice);

    /// <summary>Asks the kernel to drop a file's cached pages (POSIX_FADV_DONTNEED), so a measurement reads
    /// from the disk. Best effort: false when not supported. Only used by benchmarks.</summary>
    public static bool DropCachedPages(string path)
    {
        if (!OperatingSystem.IsLinux()) return false;
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return PosixFadvise((int)handle.DangerousGetHandle(), 0, 0, 4 /* POSIX_FADV_DONTNEED */) == 0;
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    private static bool IsUnixLike => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD();

    /// <summary>Makes the file's written data durable (fdatasync on Linux, fsync on other Unix, FlushFileBuffers elsewhere).</summary>
    public static void DataSync(SafeFileHandle handle, string path) =>
        Sync(handle, path, OperatingSystem.IsLinux() ? "fdatasync" : "fsync");

    /// <summary>Makes the file's data and metadata durable (fsync). Used after a truncation.</summary>
    public static void FullSync(SafeFileHandle handle, string path) => Sync(handle, path, "fsync");

    private static void Sync(SafeFileHandle handle, string path, string call)
    {
        if (!IsUnixLike)
        {
            try
            {
                // FlushFileBuffers through a FileStream that shares the handle; not disposed, the caller owns the handle.
                new FileStream(handle, FileAccess.ReadWrite, 0).Flush(flushToDisk: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new StorageUnavailableException($"flush to disk of WAL file '{path}' failed: {ex.Message}", ex);
            }
            return;
        }
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            int fd = (int)handle.DangerousGetHandle();
            int rc = call == "fdatasync" ? FDataSync(fd) : FSync(fd);
            if (rc != 0) throw Failure($"{call} of WAL file '{path}'", Marshal.GetLastPInvokeError());
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>fsync on a directory, so the names in it (created, renamed, deleted segments) are durable.</summary>
    public static void SyncDirectory(string directory)
    {
        if (!IsUnixLike) return; // Windows has no directory fsync; NTFS journals names itself.
        int fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0) throw Failure($"opening WAL directory '{directory}' to sync it", Marshal.GetLastPInvokeError());
        try
        {
            if (FSync(fd) != 0) throw Failure($"fsync of WAL directory '{directory}'", Marshal.GetLastPInvokeError());
        }
        finally
        {
            Close(fd);
        }
    }

    /// <summary>The OS error as an exception, e.g. "No space left on device (errno 28)".</summary>
    public static IOException ErrnoException(int errno) =>
        new($"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);

    /// <summary>An error naming what failed and the OS error, e.g. "fdatasync of WAL file '/d/x.wal' failed: No space left on device (errno 28)".</summary>
    public static StorageUnavailableException Failure(string what, int errno) =>
        new($"{what} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})",
            new IOException(Marshal.GetPInvokeErrorMessage(errno), errno));
}
