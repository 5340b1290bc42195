using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Wal.Io;
using AkkaRepl.Wal.Segments;
using Microsoft.Win32.SafeHandles;

namespace AkkaRepl.Wal.Recovery;

/// <summary>Creates and opens segment files, turning every I/O failure into a <see cref="StorageUnavailableException"/>.</summary>
internal static class SegmentFiles
{
    /// <summary>
    /// Creates a segment durably: header written to "name.tmp", synced, renamed to "name.wal", directory
    /// synced. A ".wal" file therefore always has a whole header; a crash leaves at most a ".tmp" file,
    /// which recovery deletes. Returns the open read-write handle.
    /// </summary>
    public static (Segment Segment, SafeFileHandle Handle) Create(string directory, SegmentHeader header)
    {
        string path = Path.Combine(directory, SegmentNames.FileName(header.FirstLsn));
        string temp = path + SegmentNames.TempExtension;
        try
        {
            using (var tmp = File.OpenHandle(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.Read))
            {
                RandomAccess.Write(tmp, header.Encode(), 0);
                NativeIo.DataSync(tmp, temp);
            }
            File.Move(temp, path, overwrite: false);
            NativeIo.SyncDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageUnavailableException($"creating WAL segment '{path}' failed: {ex.Message}", ex);
        }
        var handle = OpenWrite(path);
        return (new Segment(path, header, header.FirstLsn, header.PreviousGeneration, header.PreviousTimestampMicros), handle);
    }

    public static SafeFileHandle OpenWrite(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageUnavailableException($"opening WAL segment '{path}' for writing failed: {ex.Message}", ex);
        }
    }

    public static SafeFileHandle OpenRead(string path) =>
        File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

    public static SegmentHeader ReadHeader(SafeFileHandle handle, string path)
    {
        Span<byte> b = stackalloc byte[SegmentHeader.Bytes];
        int read = 0;
        while (read < b.Length)
        {
            int n = RandomAccess.Read(handle, b[read..], read);
            if (n <= 0) break;
            read += n;
        }
        return SegmentHeader.Decode(b[..read], path);
    }

    /// <summary>Cuts a file to <paramref name="length"/> bytes and fsyncs it (size is metadata).</summary>
    public static void Truncate(SafeFileHandle handle, string path, long length)
    {
        try
        {
            RandomAccess.SetLength(handle, length);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageUnavailableException($"truncating WAL segment '{path}' to {length} bytes failed: {ex.Message}", ex);
        }
        NativeIo.FullSync(handle, path);
    }

    public static Lsn LsnOf(string path) =>
        SegmentNames.TryParse(Path.GetFileName(path), out var lsn) ? lsn : throw new ArgumentException($"'{path}' is not a segment file name");
}
