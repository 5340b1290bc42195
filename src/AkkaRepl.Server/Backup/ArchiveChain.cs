using System.Globalization;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Wal;
using AkkaRepl.Wal.Reading;

namespace AkkaRepl.Server.Backup;

/// <summary>
/// Reads a WAL archive (segments named <c>&lt;first lsn&gt;-&lt;end lsn&gt;.&lt;node&gt;.wal</c>, see WalArchive)
/// as one log from a given LSN, and stops where no segment holds the next position. <see cref="StopReason"/> then
/// says exactly what is missing.
/// <para>Several primaries over time may have archived segments at the same positions, and a deposed primary's can
/// hold records that were cut from the cluster's log (G3). So every record is checked against the generation
/// history known so far (the backup's, plus each generation start read on the way), as replica catch-up does, and
/// where two segments disagree at a position the one with the newer generation there wins: a primary's generation
/// start at a position cuts what an older generation held there. Among segments that agree, the one that reaches
/// furthest is taken.</para>
/// </summary>
internal sealed class ArchiveChain(string directory)
{
    /// <summary>Why the last <see cref="From"/> ended: the gap or the end of the archive.</summary>
    public string StopReason { get; private set; } = "";

    /// <param name="history">The generation history as of <paramref name="start"/> (read when enumeration begins).</param>
    public IEnumerable<WalRecord> From(Lsn start, IReadOnlyList<GenerationStart> history)
    {
        if (!Directory.Exists(directory)) throw new AkkaReplException($"archive directory '{directory}' does not exist");
        var known = history.ToList();
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
            List<WalRecord>? best = null;
            var starting = false;
            foreach (var file in holding)
            {
                IReadOnlyList<WalRecord> records;
                try { records = WalSegmentFile.ReadRecords(file.Path, next); }
                catch (StorageCorruptException ex) { throw new AkkaReplException($"archived segment {Path.GetFileName(file.Path)} is damaged: {ex.Message}"); }
                if (records.Count == 0 || records[0].Lsn != next) continue;
                starting = true;
                var usable = Matching(records, known);
                if (usable.Count > 0 && (best is null || Better(usable, best))) best = usable;
            }
            if (best is null)
            {
                StopReason = starting
                    ? $"the archived segments holding LSN {next} hold records of a generation that the generation history does not place there (a deposed primary's log)"
                    : $"no archived segment has a record starting at LSN {next}";
                yield break;
            }
            foreach (var record in best)
            {
                if (record.Kind == WalRecordKind.GenerationStart && Covering(record.Lsn, known) != record.Generation)
                    known.Add(new GenerationStart(record.Generation, record.Lsn));
                yield return record;
            }
            next = best[^1].EndLsn;
        }
    }

    /// <summary>The leading records that belong to the log <paramref name="known"/> describes, a newer generation's
    /// start extending it (checked on a copy).</summary>
    private static List<WalRecord> Matching(IReadOnlyList<WalRecord> records, IReadOnlyList<GenerationStart> known)
    {
        var history = known.ToList();
        var usable = new List<WalRecord>();
        foreach (var record in records)
        {
            var covering = Covering(record.Lsn, history);
            if (record.Kind == WalRecordKind.GenerationStart && record.Generation.Value > covering.Value)
                history.Add(new GenerationStart(record.Generation, record.Lsn));
            else if (record.Generation != covering) break;
            usable.Add(record);
        }
        return usable;
    }

    /// <summary>Whether <paramref name="a"/> is to be taken over <paramref name="b"/> (both from the same LSN): at the
    /// first position where they differ the newer generation wins; where one is a prefix of the other, the longer.</summary>
    private static bool Better(List<WalRecord> a, List<WalRecord> b)
    {
        for (var i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            if (a[i].Generation != b[i].Generation) return a[i].Generation.Value > b[i].Generation.Value;
            if (a[i].Lsn != b[i].Lsn) return false; // cannot happen within one generation (G2); keep the first found
        }
        return a.Count > b.Count;
    }

    /// <summary>The generation of the last start at or before <paramref name="lsn"/> in (LSN, generation) order. One pass,
    /// no sort: it runs for every archived record a restore reads.</summary>
    private static Generation Covering(Lsn lsn, IReadOnlyList<GenerationStart> history)
    {
        var covering = Generation.None;
        var at = Lsn.Zero;
        foreach (var entry in history)
        {
            if (entry.Lsn > lsn) continue;
            if (covering == Generation.None || entry.Lsn > at || (entry.Lsn == at && entry.Generation.Value > covering.Value))
                (covering, at) = (entry.Generation, entry.Lsn);
        }
        return covering;
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
