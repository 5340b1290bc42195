using System.Buffers.Binary;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;

namespace AkkaRepl.Storage.Kv;

/// <summary>
/// The WAL payload of a key-value write (layout in docs/resp.md). Byte 0 is the format version (1), byte 1 the
/// kind: 1 = one command, 2 = a MULTI/EXEC transaction. Lengths and counts are unsigned LEB128 varints,
/// versions are little-endian uint64. A command is its argc then each argument as length + bytes.
/// A transaction is its watch count, each watch as key + version, then its command count and the commands.
/// </summary>
internal static class KvCodec
{
    public const byte FormatVersion = 1;
    public const byte KindCommand = 1;
    public const byte KindTransaction = 2;

    public static byte[] EncodeCommand(IReadOnlyList<ReadOnlyMemory<byte>> argv)
    {
        var buffer = new byte[2 + CommandSize(argv)];
        WriteCommandRecord(buffer, argv);
        return buffer;
    }

    /// <summary><see cref="EncodeCommand"/> into a pooled <see cref="KvPayload"/> (a plain array above its largest size).</summary>
    public static ReadOnlyMemory<byte> EncodeCommandPooled(IReadOnlyList<ReadOnlyMemory<byte>> argv)
    {
        var size = 2 + CommandSize(argv);
        if (KvPayload.Rent(size) is not { } payload)
        {
            var buffer = new byte[size];
            WriteCommandRecord(buffer, argv);
            return buffer;
        }
        WriteCommandRecord(payload.Span, argv);
        return payload.Memory;
    }

    /// <summary>A command record (format version, kind, the command), filling <paramref name="buffer"/> exactly.</summary>
    private static void WriteCommandRecord(Span<byte> buffer, IReadOnlyList<ReadOnlyMemory<byte>> argv)
    {
        buffer[0] = FormatVersion;
        buffer[1] = KindCommand;
        var pos = WriteCommand(buffer, 2, argv);
        System.Diagnostics.Debug.Assert(pos == buffer.Length);
    }

    public static byte[] EncodeTransaction(IReadOnlyList<IReadOnlyList<ReadOnlyMemory<byte>>> commands, IReadOnlyList<KvWatch> watches)
    {
        var size = 2 + VarintSize((ulong)watches.Count) + VarintSize((ulong)commands.Count);
        foreach (var w in watches) size += VarintSize((ulong)w.Key.Length) + w.Key.Length + 8;
        foreach (var c in commands) size += CommandSize(c);
        var buffer = new byte[size];
        buffer[0] = FormatVersion;
        buffer[1] = KindTransaction;
        var pos = WriteVarint(buffer, 2, (ulong)watches.Count);
        foreach (var w in watches)
        {
            pos = WriteVarint(buffer, pos, (ulong)w.Key.Length);
            w.Key.Span.CopyTo(buffer.AsSpan(pos));
            pos += w.Key.Length;
            BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(pos), w.Version.Value);
            pos += 8;
        }
        pos = WriteVarint(buffer, pos, (ulong)commands.Count);
        foreach (var c in commands) pos = WriteCommand(buffer, pos, c);
        System.Diagnostics.Debug.Assert(pos == size);
        return buffer;
    }

    /// <summary>Decodes a payload; the returned arguments are slices of <paramref name="payload"/> (no copy).</summary>
    public static (List<ReadOnlyMemory<byte>[]> Commands, List<KvWatch>? Watches) Decode(ReadOnlyMemory<byte> payload)
    {
        var span = payload.Span;
        if (span.Length < 2) throw Corrupt("is shorter than its 2-byte header");
        if (span[0] != FormatVersion)
            throw Corrupt($"has format version {span[0]}, and this node reads only version {FormatVersion}: upgrade the node");
        var pos = 2;
        var commands = new List<ReadOnlyMemory<byte>[]>(1);
        switch (span[1])
        {
            case KindCommand:
                commands.Add(ReadCommand(payload, ref pos));
                End(span, pos);
                return (commands, null);
            case KindTransaction:
                var watchCount = ReadItemCount(span, ref pos, minBytesEach: 9);
                var watches = new List<KvWatch>(watchCount);
                for (var i = 0; i < watchCount; i++)
                {
                    var key = ReadBytes(payload, ref pos);
                    if (pos + 8 > span.Length) throw Corrupt("ends inside a watch version");
                    watches.Add(new KvWatch(key, new Lsn(BinaryPrimitives.ReadUInt64LittleEndian(span[pos..]))));
                    pos += 8;
                }
                var count = ReadItemCount(span, ref pos, minBytesEach: 1);
                for (var i = 0; i < count; i++) commands.Add(ReadCommand(payload, ref pos));
                End(span, pos);
                return (commands, watches);
            default:
                throw Corrupt($"has unknown kind {span[1]}");
        }
    }

    /// <summary>
    /// Decodes a one-command payload into <paramref name="argv"/> (cleared first; slices of the payload), without the
    /// list and array <see cref="Decode"/> builds: the apply path reuses one list. False for a transaction (use Decode).
    /// </summary>
    public static bool TryDecodeCommand(ReadOnlyMemory<byte> payload, List<ReadOnlyMemory<byte>> argv)
    {
        var span = payload.Span;
        if (span.Length < 2) throw Corrupt("is shorter than its 2-byte header");
        if (span[0] != FormatVersion)
            throw Corrupt($"has format version {span[0]}, and this node reads only version {FormatVersion}: upgrade the node");
        if (span[1] != KindCommand) return false;
        var pos = 2;
        argv.Clear();
        var argc = ReadItemCount(span, ref pos, minBytesEach: 1);
        for (var i = 0; i < argc; i++) argv.Add(ReadBytes(payload, ref pos));
        End(span, pos);
        return true;
    }

    private static void End(ReadOnlySpan<byte> span, int pos)
    {
        if (pos != span.Length) throw Corrupt($"has {span.Length - pos} bytes after its end");
    }

    private static int CommandSize(IReadOnlyList<ReadOnlyMemory<byte>> argv)
    {
        var size = VarintSize((ulong)argv.Count);
        for (var i = 0; i < argv.Count; i++) size += VarintSize((ulong)argv[i].Length) + argv[i].Length;
        return size;
    }

    private static int WriteCommand(Span<byte> buffer, int pos, IReadOnlyList<ReadOnlyMemory<byte>> argv)
    {
        pos = WriteVarint(buffer, pos, (ulong)argv.Count);
        for (var i = 0; i < argv.Count; i++)
        {
            pos = WriteVarint(buffer, pos, (ulong)argv[i].Length);
            argv[i].Span.CopyTo(buffer[pos..]);
            pos += argv[i].Length;
        }
        return pos;
    }

    private static ReadOnlyMemory<byte>[] ReadCommand(ReadOnlyMemory<byte> payload, ref int pos)
    {
        var argc = ReadItemCount(payload.Span, ref pos, minBytesEach: 1);
        var argv = new ReadOnlyMemory<byte>[argc];
        for (var i = 0; i < argc; i++) argv[i] = ReadBytes(payload, ref pos);
        return argv;
    }

    private static ReadOnlyMemory<byte> ReadBytes(ReadOnlyMemory<byte> payload, ref int pos)
    {
        var length = ReadCount(payload.Span, ref pos);
        if (length > payload.Length - pos) throw Corrupt("ends inside an argument");
        var slice = payload.Slice(pos, length);
        pos += length;
        return slice;
    }

    /// <summary>A count of items that each take at least <paramref name="minBytesEach"/> bytes: a corrupt count
    /// larger than the rest of the payload could hold is refused before anything is allocated for it.</summary>
    private static int ReadItemCount(ReadOnlySpan<byte> span, ref int pos, int minBytesEach)
    {
        var count = ReadCount(span, ref pos);
        if ((long)count * minBytesEach > span.Length - pos) throw Corrupt($"has a count of {count} that its remaining bytes cannot hold");
        return count;
    }

    private static int ReadCount(ReadOnlySpan<byte> span, ref int pos)
    {
        ulong value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (pos >= span.Length) throw Corrupt("ends inside a length");
            var b = span[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return value <= int.MaxValue ? (int)value : throw Corrupt("has a length over 2^31");
        }
        throw Corrupt("has a length varint longer than 5 bytes");
    }

    private static int VarintSize(ulong value)
    {
        var size = 1;
        while (value >= 0x80) { value >>= 7; size++; }
        return size;
    }

    private static int WriteVarint(Span<byte> buffer, int pos, ulong value)
    {
        while (value >= 0x80)
        {
            buffer[pos++] = (byte)(value | 0x80);
            value >>= 7;
        }
        buffer[pos++] = (byte)value;
        return pos;
    }

    private static StorageCorruptException Corrupt(string what) =>
        new($"key-value WAL payload {what}");
}
