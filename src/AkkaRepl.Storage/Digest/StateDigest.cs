using System.Buffers.Binary;
using System.Security.Cryptography;
using AkkaRepl.Core.Ids;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Storage.StateMachine;

namespace AkkaRepl.Storage.Digest;

/// <summary>
/// A digest of a state image that can be narrowed down: every key is placed by the SHA-256 of its bytes, so a key
/// range is a hex prefix of that hash ("" is everything, "a" one sixteenth, "a3" one 256th, ...). The digest of a
/// range is the SHA-256 of the entry hashes of its keys in key-hash order; an entry hash covers the key, its value
/// and its version. Two nodes that applied the same log up to the same LSN give the same digest of every range, so
/// comparing children of differing ranges finds the differing keys (a Merkle-style split).
/// <para>Computed off the applier loop from a frozen image: an image is never changed, so no lock is needed.
/// Tombstones (deletion LSNs kept for WATCH) are not part of the digest: only live keys are.</para>
/// </summary>
public sealed class StateDigest
{
    /// <summary>Deepest prefix, in hex digits (64 bits of the key hash); beyond it ranges are listed key by key.</summary>
    public const int MaxPrefixDigits = 16;

    private readonly DigestEntry[] _entries; // sorted by key hash

    private StateDigest(Lsn lsn, DigestEntry[] entries)
    {
        Lsn = lsn;
        _entries = entries;
        Array.Sort(_entries, static (a, b) => a.KeyHash.AsSpan().SequenceCompareTo(b.KeyHash));
        Root = RangeDigest("").Digest;
    }

    /// <summary>The LSN the image was taken at.</summary>
    public Lsn Lsn { get; }

    /// <summary>Number of live keys.</summary>
    public int KeyCount => _entries.Length;

    /// <summary>Digest of the whole state, lowercase hex.</summary>
    public string Root { get; }

    /// <summary>Computes the digest of <paramref name="image"/>. A key-value image is digested key by key; any other
    /// state machine's image is digested as one opaque entry (equal or not, without narrowing).</summary>
    public static StateDigest Compute(IStateImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image is KvImage kv)
        {
            var entries = new List<DigestEntry>(kv.Shards.Sum(s => s.Count));
            foreach (var shard in kv.Shards)
                foreach (var (key, entry) in shard)
                    entries.Add(DigestEntry.Of(key, entry.Span, entry.Version));
            return new StateDigest(kv.Lsn, entries.ToArray());
        }
        using var buffer = new MemoryStream();
        image.WriteTo(buffer);
        return new StateDigest(image.Lsn, [DigestEntry.Of("(state image)"u8.ToArray(), buffer.ToArray(), 0)]);
    }

    /// <summary>Key count and digest of the keys whose hash starts with <paramref name="prefix"/> (hex).</summary>
    /// <exception cref="ArgumentException">The prefix is not hex or longer than <see cref="MaxPrefixDigits"/>.</exception>
    public RangeSummary RangeDigest(string prefix)
    {
        var (from, to) = Bounds(prefix);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var i = from; i < to; i++) hash.AppendData(_entries[i].EntryHash);
        return new RangeSummary(prefix, to - from, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>The sixteen sub-ranges of <paramref name="prefix"/> (one more hex digit each).</summary>
    public IReadOnlyList<RangeSummary> Children(string prefix)
    {
        if (prefix.Length >= MaxPrefixDigits)
            throw new ArgumentException($"prefix '{prefix}' is already {MaxPrefixDigits} hex digits long: list its keys instead", nameof(prefix));
        return "0123456789abcdef".Select(c => RangeDigest(prefix + c)).ToArray();
    }

    /// <summary>Every key in the range, with its entry hash (hex), in key-hash order.</summary>
    public IReadOnlyList<(byte[] Key, string EntryHash)> Keys(string prefix)
    {
        var (from, to) = Bounds(prefix);
        var keys = new (byte[], string)[to - from];
        for (var i = from; i < to; i++) keys[i - from] = (_entries[i].Key, Convert.ToHexStringLower(_entries[i].EntryHash));
        return keys;
    }

    /// <summary>Index range of the entries whose key hash starts with the hex <paramref name="prefix"/>.</summary>
    private (int From, int To) Bounds(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length > MaxPrefixDigits || !prefix.All(Uri.IsHexDigit))
            throw new ArgumentException($"range prefix '{prefix}' is not 0 to {MaxPrefixDigits} hex digits", nameof(prefix));
        if (prefix.Length == 0) return (0, _entries.Length);
        var value = ulong.Parse(prefix, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        var shift = 64 - 4 * prefix.Length;
        var low = value << shift;
        // The last range of a level ends at the end of the array (its upper bound would overflow 64 bits).
        var last = prefix.Length == MaxPrefixDigits ? ulong.MaxValue : (1UL << (4 * prefix.Length)) - 1;
        var high = value == last ? (ulong?)null : (value + 1) << shift;
        return (LowerBound(low), high is { } h ? LowerBound(h) : _entries.Length);
    }

    private int LowerBound(ulong prefix64)
    {
        int lo = 0, hi = _entries.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_entries[mid].Prefix64 < prefix64) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private sealed record DigestEntry(byte[] Key, byte[] KeyHash, byte[] EntryHash)
    {
        public ulong Prefix64 { get; } = BinaryPrimitives.ReadUInt64BigEndian(KeyHash);

        public static DigestEntry Of(byte[] key, ReadOnlySpan<byte> value, ulong version)
        {
            // Lengths first, so ("ab","c") and ("a","bc") never hash alike.
            var buffer = new byte[4 + key.Length + 4 + value.Length + 8];
            BinaryPrimitives.WriteInt32LittleEndian(buffer, key.Length);
            key.CopyTo(buffer, 4);
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(4 + key.Length), value.Length);
            value.CopyTo(buffer.AsSpan(8 + key.Length));
            BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(8 + key.Length + value.Length), version);
            return new DigestEntry(key, SHA256.HashData(key), SHA256.HashData(buffer));
        }
    }
}

/// <summary>One key range of a <see cref="StateDigest"/>: its hex prefix, how many keys it holds, and its digest.</summary>
public sealed record RangeSummary(string Prefix, int Keys, string Digest);
