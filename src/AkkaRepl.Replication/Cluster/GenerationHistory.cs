using AkkaRepl.Core.Io;
using System.Buffers.Binary;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Wal.Format;

namespace AkkaRepl.Replication.Cluster;

/// <summary>
/// Which generation began at which LSN, kept in a small file beside the WAL (<c>generations</c>), so a node
/// can find the last position its log shares with another node's log without scanning the WAL.
/// <para>Invariant: an entry is made durable <em>before</em> the generation-start record it describes is
/// appended, so the history is never missing a generation the WAL holds; entries at or past the WAL's end
/// (the record never made it) are dropped on open by <see cref="TrimTo"/>, and by a replica's receiver when a link
/// ends (an append of it failed). Each entry carries its own
/// CRC32C, so a torn last entry is detected and cut like a torn WAL tail; a bad entry before the last is corruption,
/// refused on open.</para>
/// File layout: repeated 20-byte entries <c>[u64 generation][u64 lsn][u32 crc32c of the 16 bytes before]</c>.
/// </summary>
public sealed class GenerationHistory
{
    private const int EntryBytes = 20;
    private readonly string _path;
    private readonly List<GenerationStart> _entries = [];
    private readonly object _gate = new();

    private GenerationHistory(string path) => _path = path;

    public IReadOnlyList<GenerationStart> Entries
    {
        get { lock (_gate) return _entries.ToArray(); }
    }

    /// <summary>Where <paramref name="generation"/> started, or null when the history has no entry for it. No copy:
    /// read on every bounded-staleness and linearizable read of a primary.</summary>
    public Lsn? StartOf(Generation generation)
    {
        lock (_gate)
        {
            for (var i = _entries.Count - 1; i >= 0; i--)
                if (_entries[i].Generation == generation) return _entries[i].Lsn;
            return null;
        }
    }

    /// <summary>The newest generation in the history (<see cref="Generation.None"/> when empty).</summary>
    public Generation Latest
    {
        get { lock (_gate) return _entries.Count == 0 ? Generation.None : _entries[^1].Generation; }
    }

    public static GenerationHistory Open(string path)
    {
        var history = new GenerationHistory(path);
        if (!File.Exists(path)) return history;
        var bytes = File.ReadAllBytes(path);
        var good = 0;
        for (var at = 0; at + EntryBytes <= bytes.Length; at += EntryBytes)
        {
            var entry = bytes.AsSpan(at, EntryBytes);
            if (Crc32C.Compute(entry[..16]) != BinaryPrimitives.ReadUInt32LittleEndian(entry[16..]))
            {
                // Each entry is synced before the next is written: only the last can be torn. A bad one with a whole
                // entry after it is corruption, and cutting there would drop generations the WAL holds, silently.
                if (at + 2 * EntryBytes <= bytes.Length)
                    throw new StorageCorruptException($"generation history {path} is corrupt at entry {at / EntryBytes} of {bytes.Length / EntryBytes} (checksum mismatch, with whole entries after it), so this is not a torn last entry; it was not repaired. Restore the node from a replica or a snapshot, or move the damaged file away after saving it");
                break;
            }
            var start = new GenerationStart(new Generation(BinaryPrimitives.ReadUInt64LittleEndian(entry)),
                new Lsn(BinaryPrimitives.ReadUInt64LittleEndian(entry[8..])));
            if (history._entries.Count > 0 && (start.Generation <= history._entries[^1].Generation || start.Lsn < history._entries[^1].Lsn))
                throw new StorageCorruptException($"generation history {path} is out of order at entry {at / EntryBytes}: {start.Generation}@{start.Lsn} after {history._entries[^1].Generation}@{history._entries[^1].Lsn}");
            history._entries.Add(start);
            good = at + EntryBytes;
        }
        if (good != bytes.Length) history.Rewrite(); // cut a torn last entry
        return history;
    }

    /// <summary>Records durably that <paramref name="generation"/> starts at <paramref name="lsn"/>. Idempotent for an entry already present.</summary>
    public void Add(Generation generation, Lsn lsn)
    {
        lock (_gate)
        {
            if (_entries.Count > 0)
            {
                var last = _entries[^1];
                if (last.Generation == generation && last.Lsn == lsn) return;
                if (generation <= last.Generation || lsn < last.Lsn)
                    throw new InvalidOperationException($"generation {generation} at {lsn} does not follow {last.Generation} at {last.Lsn}");
            }
            _entries.Add(new GenerationStart(generation, lsn));
            var created = !File.Exists(_path);
            using (var file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.None))
            {
                Span<byte> entry = stackalloc byte[EntryBytes];
                Encode(entry, generation, lsn);
                file.Write(entry);
                file.Flush(flushToDisk: true);
            }
            // A new file's name lives in the directory, which its own fsync does not cover: without this a power cut
            // could lose the whole history while the WAL keeps the generation-start record it describes.
            if (created) DirectorySync.Sync(Path.GetDirectoryName(Path.GetFullPath(_path))!);
        }
    }

    /// <summary>Replaces the whole history (a replica rebuilt from a snapshot adopts its upstream's).</summary>
    public void ReplaceAll(IReadOnlyList<GenerationStart> entries)
    {
        lock (_gate)
        {
            _entries.Clear();
            _entries.AddRange(entries);
            Rewrite();
        }
    }

    /// <summary>Drops every generation that starts at or after <paramref name="end"/> (the log was cut there, or never reached it).</summary>
    public void TrimTo(Lsn end)
    {
        lock (_gate)
        {
            var removed = _entries.RemoveAll(e => e.Lsn >= end);
            if (removed > 0) Rewrite();
        }
    }

    /// <summary>
    /// The end of the log prefix this node shares with a node whose history is <paramref name="other"/> and
    /// whose log ends at <paramref name="otherEnd"/>, given this node's log ends at <paramref name="end"/>.
    /// Records of one generation are written by its one primary (G2) and copied byte for byte, so two logs
    /// agree up to where their newest common generation (same number, same start) stops on either side.
    /// </summary>
    public Lsn CommonPoint(Lsn end, IReadOnlyList<GenerationStart> other, Lsn otherEnd)
    {
        var mine = Entries;
        for (var i = mine.Count - 1; i >= 0; i--)
        {
            var j = IndexOf(other, mine[i]);
            if (j < 0) continue;
            var myEnd = i + 1 < mine.Count ? mine[i + 1].Lsn : end;
            var theirEnd = j + 1 < other.Count ? other[j + 1].Lsn : otherEnd;
            return Lsn.Min(myEnd, theirEnd);
        }
        return Lsn.Zero;
    }

    private static int IndexOf(IReadOnlyList<GenerationStart> list, GenerationStart entry)
    {
        for (var i = 0; i < list.Count; i++) if (list[i] == entry) return i;
        return -1;
    }

    private void Rewrite()
    {
        AtomicFile.Replace(_path, file =>
        {
            Span<byte> entry = stackalloc byte[EntryBytes];
            foreach (var e in _entries)
            {
                Encode(entry, e.Generation, e.Lsn);
                file.Write(entry);
            }
        });
    }

    private static void Encode(Span<byte> entry, Generation generation, Lsn lsn)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(entry, generation.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[8..], lsn.Value);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[16..], Crc32C.Compute(entry[..16]));
    }
}
