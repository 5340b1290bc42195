using System.Globalization;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Io;
using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Wal;
using AkkaRepl.Wal.Reading;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Replication.Archive;

/// <summary>
/// A directory that keeps finished WAL segments after a primary no longer retains them, so a replica that fell
/// further behind than the retained log can catch up from it instead of a full rebuild.
/// <para>Files are named <c>&lt;first lsn&gt;-&lt;end lsn&gt;.&lt;node id&gt;.wal</c>: several primaries over time
/// may archive segments covering the same positions, and an old primary's segment can hold records that diverged.
/// Readers therefore check every record against the current primary's generation history
/// (<see cref="MatchesHistory"/>) and take only a file whose records all match.</para>
/// Copies are written to a temp file, synced, renamed and the directory synced: a file in the archive is whole.
/// </summary>
public sealed partial class WalArchive(string directory, NodeId self, ILogger logger)
{
    private const string Extension = ".wal";

    public string Directory { get; } = Path.GetFullPath(directory);

    // Archive names already found equal to (or copied from) a segment file, with that file's length and write time.
    private readonly Dictionary<string, (long Length, DateTime Written)> _checked = new(StringComparer.Ordinal);

    /// <summary>Copies every sealed segment not yet in the archive; returns how many were copied. Throws when a
    /// copy fails: the caller must then keep the segments (nothing is trimmed that is not archived).</summary>
    public int ArchiveSealed(IReadOnlyList<WalSegmentInfo> segments)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var copied = 0;
        foreach (var segment in segments)
        {
            if (segment.EndLsn <= segment.FirstLsn) continue;
            var name = $"{segment.FirstLsn.Value:D20}-{segment.EndLsn.Value:D20}.{self}{Extension}";
            var target = Path.Combine(Directory, name);
            var temp = target + ".tmp";
            try
            {
                // A copy under this name may be of an older log of this node: after a divergence was cut, the segment
                // re-seals at the same first and end LSN with other records. Compared once per process and per version
                // of the segment file (a cut rewrites it); a different copy is replaced by this primary's log.
                var version = (new FileInfo(segment.Path).Length, File.GetLastWriteTimeUtc(segment.Path));
                if (_checked.TryGetValue(name, out var seen) && seen == version) continue;
                var replacing = File.Exists(target);
                if (replacing && SameBytes(segment.Path, target))
                {
                    _checked[name] = version;
                    continue;
                }
                using (var source = new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 20))
                using (var copy = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                {
                    source.CopyTo(copy);
                    copy.Flush(flushToDisk: true);
                }
                File.Move(temp, target, overwrite: true);
                if (replacing) LogReplaced(logger, target);
                _checked[name] = version;
                copied++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                try { File.Delete(temp); } catch (IOException) { }
                throw new StorageUnavailableException($"archiving WAL segment '{segment.Path}' to '{Directory}' failed: {ex.Message}", ex);
            }
        }
        if (copied > 0)
        {
            DirectorySync.Sync(Directory);
            LogArchived(logger, copied, Directory);
        }
        return copied;
    }

    private static bool SameBytes(string a, string b)
    {
        using var x = new FileStream(a, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        using var y = new FileStream(b, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        if (x.Length != y.Length) return false;
        var bx = new byte[1 << 16];
        var by = new byte[1 << 16];
        int read;
        while ((read = x.ReadAtLeast(bx, bx.Length, throwOnEndOfStream: false)) > 0)
        {
            if (y.ReadAtLeast(by, read, throwOnEndOfStream: false) != read || !bx.AsSpan(0, read).SequenceEqual(by.AsSpan(0, read))) return false;
        }
        return true;
    }

    /// <summary>
    /// Reads archived records from <paramref name="from"/> up to (not past) <paramref name="until"/>, each checked
    /// against <paramref name="history"/>; stops early where the archive has no matching file. Contiguous from
    /// <paramref name="from"/>.
    /// </summary>
    public IReadOnlyList<WalRecord> ReadMatching(Lsn from, Lsn until, IReadOnlyList<GenerationStart> history)
    {
        var result = new List<WalRecord>();
        var next = from;
        while (next < until)
        {
            var found = false;
            foreach (var (first, end, path) in Files().Where(f => f.First <= next && next < f.End).OrderByDescending(f => f.End))
            {
                IReadOnlyList<WalRecord> records;
                try { records = WalSegmentFile.ReadRecords(path, next); }
                catch (StorageCorruptException ex) { LogSkipped(logger, path, ex.Message); continue; }
                var usable = records.TakeWhile(r => r.Lsn < until).ToList();
                if (usable.Count == 0 || usable[0].Lsn != next || !usable.All(r => MatchesHistory(r, history)))
                {
                    LogSkipped(logger, path, "its records are not the primary's log at these positions");
                    continue;
                }
                result.AddRange(usable);
                next = usable[^1].EndLsn;
                found = true;
                break;
            }
            if (!found) break;
        }
        return result;
    }

    /// <summary>A record belongs to the primary's log when its generation is the one the primary's history places
    /// at its position. One writer per generation (G2) makes records of a generation identical wherever they are.</summary>
    public static bool MatchesHistory(WalRecord record, IReadOnlyList<GenerationStart> history)
    {
        var covering = Generation.None;
        foreach (var entry in history)
        {
            if (entry.Lsn > record.Lsn) break;
            covering = entry.Generation;
        }
        return covering == record.Generation;
    }

    private IEnumerable<(Lsn First, Lsn End, string Path)> Files()
    {
        if (!System.IO.Directory.Exists(Directory)) yield break;
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*" + Extension))
        {
            var name = Path.GetFileName(path);
            if (name.Length < 42 || name[20] != '-' || name[41] != '.') continue;
            if (ulong.TryParse(name.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                && ulong.TryParse(name.AsSpan(21, 20), NumberStyles.None, CultureInfo.InvariantCulture, out var end))
                yield return (new Lsn(first), new Lsn(end), path);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Archived {Count} WAL segment(s) to {Directory}")]
    private static partial void LogArchived(ILogger logger, int count, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Archived segment {Path} held other records than this primary's log at the same positions (an older, divergent copy): replaced")]
    private static partial void LogReplaced(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Archived segment {Path} not used: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string path, string reason);
}
