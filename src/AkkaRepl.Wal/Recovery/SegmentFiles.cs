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
    public static (Segment Segment, SafeFileHandle Handle) Create(string directory, SegmentHeader header, string? spare = null)
    {
        string path = Path.Combine(directory, SegmentNames.FileName(header.FirstLsn));
        string temp = spare ?? path + SegmentNames.TempExtension;
        try
        {
            // A spare is already zero-filled and synced: only its header is written here.
            using (var tmp = File.OpenHandle(temp, spare is null ? FileMode.Create : FileMode.Open, FileAccess.ReadWrite, FileShare.Read))
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

    /// <summary>The name of the spare segment file (ends in ".wal.tmp": recovery deletes a leftover one).</summary>
    public const string SpareName = "spare.wal.tmp";

    /// <summary>
    /// Prepares a zero-filled, synced spare segment of header + <paramref name="recordBytes"/> bytes, to be
    /// renamed into place at the next roll. Writing into allocated, zeroed blocks lets fdatasync skip the
    /// file-size metadata. Zeroes are never mistaken for records: a record's length is at least its header.
    /// </summary>
    public static string CreateSpare(string directory, long recordBytes)
    {
        string path = Path.Combine(directory, SpareName);
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        var zeros = new byte[SpareChunkBytes];
        long total = SegmentHeader.Bytes + recordBytes;
        for (long offset = 0; offset < total; offset += zeros.Length)
        {
            RandomAccess.Write(handle, zeros.AsSpan(0, (int)Math.Min(zeros.Length, total - offset)), offset);
            // Synced chunk by chunk: one sync of the whole segment (64 MiB by default) holds the disk for tens of
            // milliseconds, and every WAL fdatasync on it (this node's and its neighbours') waits behind it.
            NativeIo.DataSync(handle, path);
        }
        return path;
    }

    /// <summary>How much of a spare is zero-filled between two syncs.</summary>
    internal const int SpareChunkBytes = 1024 * 1024;

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
