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
    /// <param name="observer">Told how many bytes are scanned as the scan goes (start-up progress); null: nobody.</param>
    public static RecoveredLog Run(string directory, WalOptions options, ILogger logger, IWalRecoveryObserver? observer = null)
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

        observer?.ScanStarting(names.Sum(n => LengthOf(n.Path)), names.Count);

        // Sealed segments are scanned in parallel (one buffer per worker): recovery of a large log is bound
        // by checksumming, and each sealed segment is checked on its own; their order is checked after.
        var sealedScans = new (Segment? Segment, ScanStatus Status, long Offset, string? Reason, Exception? Error)[names.Count - 1];
        Parallel.For(0, names.Count - 1, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            () => new byte[8 * 1024 * 1024],
            (i, _, buffer) =>
            {
                try
                {
                    using var handle = SegmentFiles.OpenRead(names[i].Path);
                    var (segment, status, offset, reason) = Scan(handle, names[i].Path, names[i].Lsn, buffer, observer);
                    sealedScans[i] = (segment, status, offset, reason, null);
                    observer?.SegmentScanned(names[i].Path);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    sealedScans[i] = (null, default, 0, null,
                        new StorageUnavailableException($"reading WAL segment '{names[i].Path}' failed: {ex.Message}", ex));
                }
                catch (Exception ex)
                {
                    sealedScans[i] = (null, default, 0, null, ex);
                }
                return buffer;
            },
            _ => { });

        var segments = new List<Segment>(names.Count);
        foreach (var scan in sealedScans)
        {
            if (scan.Error is not null) throw scan.Error;
            var segment = scan.Segment!;
            CheckFollows(segments, segment);
            if (scan.Status != ScanStatus.End)
                throw new StorageCorruptException(
                    $"WAL segment '{segment.Path}' is corrupt at offset {scan.Offset} (LSN {segment.EndLsn}): {scan.Reason}. It is a sealed segment, so this is not a torn tail; it was not repaired. Restore the node from a replica or a snapshot, or move the damaged files away after saving them");
            segments.Add(segment);
        }

        // The last segment: the one a crash may have torn. Cut it at its first bad record.
        long cut = 0;
        var (lastLsn, lastPath) = names[^1];
        var active = SegmentFiles.OpenWrite(lastPath);
        try
        {
            var lastBuffer = new byte[8 * 1024 * 1024];
            var (last, status, offset, reason) = Scan(active, lastPath, lastLsn, lastBuffer, observer);
            observer?.SegmentScanned(lastPath);
            CheckFollows(segments, last);
            long fileLength = RandomAccess.GetLength(active);
            if (status != ScanStatus.End && !IsZeroFrom(active, offset, fileLength, lastBuffer))
            {
                long bytes = fileLength - offset;
                SegmentFiles.Truncate(active, lastPath, offset);
                WalLog.TailCut(logger, bytes, lastPath, offset, last.EndLsn.Value, reason ?? "unknown");
                cut = bytes;
            }
            // else: only never-written preallocated zeroes follow; the log ends here, nothing to cut.
            segments.Add(last);
        }
        catch
        {
            active.Dispose();
            throw;
        }
        WalLog.Opened(logger, directory, segments.Count, segments[0].FirstLsn.Value, segments[^1].EndLsn.Value,
            segments[^1].LastGeneration.Value, clock.ElapsedMilliseconds);
        return new RecoveredLog(segments, active, cut);
    }

    /// <summary>Reads and checks a segment's header, then scans its records up to the first that is not
    /// valid (or the end of the file). The segment's end is where the scan stopped.</summary>
    private static (Segment Segment, ScanStatus Status, long Offset, string? Reason) Scan(
        SafeFileHandle handle, string path, Lsn nameLsn, byte[] buffer, IWalRecoveryObserver? observer)
    {
        var header = SegmentFiles.ReadHeader(handle, path);
        if (header.FirstLsn != nameLsn)
            throw new StorageCorruptException($"WAL segment '{path}' says it starts at LSN {header.FirstLsn}, but its name says {nameLsn}");
        var segment = new Segment(path, header, header.FirstLsn, header.PreviousGeneration, header.PreviousTimestampMicros);
        long fileLength = RandomAccess.GetLength(handle);
        var scanner = new SegmentScanner(handle, segment, buffer);
        ScanStatus status;
        string? reason;
        Generation generation = segment.LastGeneration;
        long timestamp = segment.LastTimestampMicros;
        long reported = 0; // bytes of this file told to the observer: every MiB, not every record (it is shared by the workers)
        while ((status = scanner.Next(fileLength, out var record, out reason)) == ScanStatus.Record)
        {
            generation = WalRecordCodec.PeekGeneration(record.Span);
            timestamp = WalRecordCodec.PeekTimestamp(record.Span);
            if (observer is not null && scanner.Offset - reported >= ReportEveryBytes)
            {
                observer.Scanned(scanner.Offset - reported);
                reported = scanner.Offset;
            }
        }
        // The rest of the file (a torn tail, preallocated zeroes) counts as scanned too, so the parts add up to the total.
        if (observer is not null && fileLength > reported) observer.Scanned(fileLength - reported);
        segment.LastGeneration = generation;
        segment.LastTimestampMicros = timestamp;
        segment.EndLsn = scanner.NextLsn;
        return (segment, status, scanner.Offset, reason);
    }

    private const long ReportEveryBytes = 1024 * 1024;

    private static long LengthOf(string path)
    {
        try { return new FileInfo(path).Length; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return 0; } // the scan reports the error
    }

    private static void CheckFollows(List<Segment> segments, Segment next)
    {
        if (segments.Count > 0 && segments[^1].EndLsn != next.FirstLsn)
            throw new StorageCorruptException(
                $"WAL segment '{next.Path}' starts at LSN {next.FirstLsn}, but the segment before it ('{segments[^1].Path}') ends at LSN {segments[^1].EndLsn}: a segment is missing or cut");
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
