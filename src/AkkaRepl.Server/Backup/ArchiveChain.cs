using System.Globalization;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Wal;
using AkkaRepl.Wal.Reading;

namespace AkkaRepl.Server.Backup;

/// <summary>
/// Reads a WAL archive (segments named <c>&lt;first lsn&gt;-&lt;end lsn&gt;.&lt;node&gt;.wal</c>, see WalArchive)
/// as one log from a given LSN: at each position it takes the segment that holds it and reaches furthest, and
/// stops where no segment holds the next position. <see cref="StopReason"/> then says exactly what is missing.
/// </summary>
internal sealed class ArchiveChain(string directory)
{
    /// <summary>Why the last <see cref="From"/> ended: the gap or the end of the archive.</summary>
    public string StopReason { get; private set; } = "";

    public IEnumerable<WalRecord> From(Lsn start)
    {
        if (!Directory.Exists(directory)) throw new AkkaReplException($"archive directory '{directory}' does not exist");
        var files = Files().ToList();
        var next = start;
        while (true)
        {
            var holding = files.Where(f => f.First <= next && next < f.End).OrderByDescending(f => f.End).ToList();
            if (holding.Count == 0)
            {
                var later = files.Where(f => f.First > next).OrderBy(f => f.First).FirstOrDefault();
                StopReason = later.Path is not null
                    ? $"the archive has a gap: no archived segment holds LSN {next} to {later.First} (the next one, {Path.GetFileName(later.Path)}, starts at LSN {later.First})"
                    : $"the archive ends at LSN {next} (its last segment ends there)";
                yield break;
            }
            IReadOnlyList<WalRecord>? records = null;
            foreach (var file in holding)
            {
                try { records = WalSegmentFile.ReadRecords(file.Path, next); }
                catch (StorageCorruptException ex) { throw new AkkaReplException($"archived segment {Path.GetFileName(file.Path)} is damaged: {ex.Message}"); }
                if (records.Count > 0 && records[0].Lsn == next) break;
                records = null;
            }
            if (records is null)
            {
                StopReason = $"no archived segment has a record starting at LSN {next}";
                yield break;
            }
            foreach (var record in records) yield return record;
            next = records[^1].EndLsn;
        }
    }

    private IEnumerable<(Lsn First, Lsn End, string Path)> Files()
    {
        foreach (var path in Directory.EnumerateFiles(directory, "*.wal"))
        {
            var name = Path.GetFileName(path);
            if (name.Length < 42 || name[20] != '-' || name[41] != '.') continue;
            if (ulong.TryParse(name.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                && ulong.TryParse(name.AsSpan(21, 20), NumberStyles.None, CultureInfo.InvariantCulture, out var end))
                yield return (new Lsn(first), new Lsn(end), path);
        }
    }
}
