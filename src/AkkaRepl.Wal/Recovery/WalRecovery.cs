using System.Diagnostics;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Wal.Diagnostics;
using AkkaRepl.Wal.Format;
using AkkaRepl.Wal.Io;
using AkkaRepl.Wal.Segments;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace AkkaRepl.Wal.Recovery;

/// <summary>
/// Brings a WAL directory to a state the writer can append to.
/// <para>Invariant: after recovery every byte from the first segment's first LSN to the end of the last
/// segment is a valid record with the expected LSN, and the segments are contiguous. It holds because every
/// segment is scanned from its start with checksum and LSN checks; the last segment is cut (durably) at
/// its first bad record, since a crash can only tear the tail the writer was appending to; and a bad
/// record anywhere in a sealed segment is refused, because the writer synced that segment in full
/// before starting the next one, so damage there is real corruption that an operator must look at.</para>
/// </summary>
internal static class WalRecovery
{
    public static RecoveredLog Run(string directory, WalOptions options, ILogger logger)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageUnavailableException($"creating WAL directory '{directory}' failed: {ex.Message}", ex);
        }

        var names = new List<(Lsn Lsn, string Path)>();
        bool removedTemp = false;
        foreach (var path in Directory.EnumerateFiles(directory))
        {
            string name = Path.GetFileName(path);
            if (name == SegmentFiles.SpareName)
            {
                // The preallocated spare: the writer reuses it when its size is right, else replaces it.
            }
            else if (name.EndsWith(SegmentNames.Extension + SegmentNames.TempExtension, StringComparison.Ordinal))
            {
                // A segment whose creation did not finish never held a record: safe to drop.
                TryDelete(path);
                WalLog.TempRemoved(logger, path);
                removedTemp = true;
            }
            else if (SegmentNames.TryParse(name, out var lsn)) names.Add((lsn, path));
        }
        if (removedTemp) NativeIo.SyncDirectory(directory);
        names.Sort((a, b) => a.Lsn.CompareTo(b.Lsn));

        if (names.Count == 0)
        {
            string? spare = null;
            try
            {
                if (options.PreallocateSegments) spare = SegmentFiles.CreateSpare(directory, options.SegmentSizeBytes);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new StorageUnavailableException($"creating the first WAL segment in '{directory}' failed: {ex.Message}", ex);
            }
            var (segment, handle) = SegmentFiles.Create(directory, new SegmentHeader(Lsn.Zero, Generation.None, 0), spare);
            WalLog.Opened(logger, directory, 1, 0, 0, 0, clock.ElapsedMilliseconds);
            return new RecoveredLog([segment], handle, 0);
        }

        var segments = new List<Segment>(names.Count);
        long cut = 0;
        SafeFileHandle? active = null;
        var buffer = new byte[8 * 1024 * 1024];
        for (int i = 0; i < names.Count; i++)
        {
            bool last = i == names.Count - 1;
            string path = names[i].Path;
            SafeFileHandle handle;
            try
            {
                handle = last ? SegmentFiles.OpenWrite(path) : SegmentFiles.OpenRead(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new StorageUnavailableException($"opening WAL segment '{path}' failed: {ex.Message}", ex);
            }
            try
            {
                var header = SegmentFiles.ReadHeader(handle, path);
                if (header.FirstLsn != names[i].Lsn)
                    throw new StorageCorruptException($"WAL segment '{path}' says it starts at LSN {header.FirstLsn}, but its name says {names[i].Lsn}");
                if (i > 0 && segments[^1].EndLsn != header.FirstLsn)
                    throw new StorageCorruptException(
                        $"WAL segment '{path}' starts at LSN {header.FirstLsn}, but the segment before it ('{segments[^1].Path}') ends at LSN {segments[^1].EndLsn}: a segment is missing or cut");
                var segment = new Segment(path, header, header.FirstLsn, header.PreviousGeneration, header.PreviousTimestampMicros);
                long fileLength = RandomAccess.GetLength(handle);
                var scanner = new SegmentScanner(handle, segment, buffer.Length);
                ScanStatus status;
                string? reason;
                while ((status = scanner.Next(fileLength, out var record, out reason)) == ScanStatus.Record)
                {
                    segment.LastGeneration = WalRecordCodec.PeekGeneration(record.Span);
                    segment.LastTimestampMicros = WalRecordCodec.PeekTimestamp(record.Span);
                }
                segment.EndLsn = scanner.NextLsn;
                if (status != ScanStatus.End && last && IsZeroFrom(handle, scanner.Offset, fileLength, buffer))
                {
                    // Preallocated space that was never written: the log ends here, nothing to cut.
                }
                else if (status != ScanStatus.End)
                {
                    if (!last)
                        throw new StorageCorruptException(
                            $"WAL segment '{path}' is corrupt at offset {scanner.Offset} (LSN {scanner.NextLsn}): {reason}. It is a sealed segment, so this is not a torn tail; it was not repaired. Restore the node from a replica or a snapshot, or move the damaged files away after saving them");
                    long bytes = fileLength - scanner.Offset;
                    SegmentFiles.Truncate(handle, path, scanner.Offset);
                    WalLog.TailCut(logger, bytes, path, scanner.Offset, scanner.NextLsn.Value, reason ?? "unknown");
                    cut += bytes;
                }
                segments.Add(segment);
                if (last) active = handle; else handle.Dispose();
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }
        WalLog.Opened(logger, directory, segments.Count, segments[0].FirstLsn.Value, segments[^1].EndLsn.Value,
            segments[^1].LastGeneration.Value, clock.ElapsedMilliseconds);
        return new RecoveredLog(segments, active!, cut);
    }

    /// <summary>True when every byte from <paramref name="offset"/> to the end of the file is zero.</summary>
    private static bool IsZeroFrom(SafeFileHandle handle, long offset, long fileLength, byte[] buffer)
    {
        while (offset < fileLength)
        {
            int read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, fileLength - offset)), offset);
            if (read <= 0) return false;
            if (buffer.AsSpan(0, read).ContainsAnyExcept((byte)0)) return false;
            offset += read;
        }
        return true;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageUnavailableException($"removing unfinished WAL segment '{path}' failed: {ex.Message}", ex);
        }
    }
}
