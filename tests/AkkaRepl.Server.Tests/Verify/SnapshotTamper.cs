using System.Buffers.Binary;
using System.Text;
using AkkaRepl.Core.Io;

namespace AkkaRepl.Server.Tests.Verify;

/// <summary>
/// Changes a node's newest snapshot file behind its back (a silent divergence), keeping the file valid: the body
/// (layout of KvImage: version, LSN, horizon, entries, tombstones) is rewritten and the header's checksums are
/// computed again, so the node loads it without complaint.
/// </summary>
internal static class SnapshotTamper
{
    public static void Rewrite(string snapshotsDir, Action<SortedDictionary<string, (byte[] Value, ulong Version)>> change)
    {
        var path = Directory.GetFiles(snapshotsDir, "snapshot-*.snap").OrderDescending(StringComparer.Ordinal).First();
        var file = File.ReadAllBytes(path);
        var header = file.AsSpan(0, 32).ToArray();
        using var reader = new BinaryReader(new MemoryStream(file, 32, file.Length - 32));
        var version = reader.ReadByte();
        var lsn = reader.ReadUInt64();
        var horizon = reader.ReadUInt64();
        var entries = new SortedDictionary<string, (byte[] Value, ulong Version)>(StringComparer.Ordinal);
        var count = reader.ReadInt64();
        for (var i = 0; i < count; i++)
        {
            var key = Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadInt32()));
            var value = reader.ReadBytes(reader.ReadInt32());
            entries[key] = (value, reader.ReadUInt64());
        }
        var tombstones = reader.ReadBytes((int)(reader.BaseStream.Length - reader.BaseStream.Position));

        change(entries);

        var body = new MemoryStream();
        using (var writer = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(version);
            writer.Write(lsn);
            writer.Write(horizon);
            writer.Write((long)entries.Count);
            foreach (var (key, (value, entryVersion)) in entries)
            {
                var bytes = Encoding.UTF8.GetBytes(key);
                writer.Write(bytes.Length);
                writer.Write(bytes);
                writer.Write(value.Length);
                writer.Write(value);
                writer.Write(entryVersion);
            }
            writer.Write(tombstones);
        }
        var bodyBytes = body.ToArray();
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), bodyBytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(24), Crc32C.Compute(bodyBytes));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(28), Crc32C.Compute(header.AsSpan(0, 28)));
        File.WriteAllBytes(path, [.. header, .. bodyBytes]);
    }
}
