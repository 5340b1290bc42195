using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Wal.Tests.Support;

/// <summary>Small helpers shared by the WAL tests.</summary>
public static class WalTestKit
{
    public static readonly WalOptions SmallSegments = new() { SegmentSizeBytes = 4096 };

    /// <summary>Defaults except 1 MiB segments, so each preallocated segment stays cheap in tests.</summary>
    public static readonly WalOptions Default = new() { SegmentSizeBytes = 1024 * 1024 };

    public static Task<WalWriter> OpenAsync(string dir, WalOptions? options = null, ILogger? logger = null, TimeProvider? time = null) =>
        WalWriter.OpenAsync(dir, options ?? Default, logger ?? NullLogger.Instance, time);

    /// <summary>Payload i: its index in 4 bytes followed by a seeded length of deterministic bytes.</summary>
    public static byte[] Payload(int i, int maxExtra = 60)
    {
        var random = new Random(i);
        var bytes = new byte[4 + random.Next(0, maxExtra + 1)];
        BitConverter.TryWriteBytes(bytes, i);
        for (int k = 4; k < bytes.Length; k++) bytes[k] = (byte)(i * 31 + k);
        return bytes;
    }

    public static async Task<List<WalAppendResult>> AppendManyAsync(WalWriter wal, int count, int first = 0, ulong generation = 1)
    {
        var results = new List<WalAppendResult>();
        for (int i = first; i < first + count; i++)
            results.Add(await wal.AppendAsync(new Generation(generation), WalRecordKind.Command, Payload(i)));
        return results;
    }

    public static IReadOnlyList<WalRecord> ReadAll(WalWriter wal) => wal.ReadRange(wal.FirstLsn, wal.WrittenLsn);

    /// <summary>Asserts the records are exactly payloads first..first+count-1, contiguous from the first LSN.</summary>
    public static void AssertPayloads(IReadOnlyList<WalRecord> records, int first, int count, string because = "")
    {
        Assert.True(count == records.Count, $"expected {count} records, found {records.Count} {because}");
        for (int i = 0; i < records.Count; i++)
        {
            Assert.True(Payload(first + i).AsSpan().SequenceEqual(records[i].Payload.Span), $"record {i} has the wrong payload {because}");
            if (i > 0) Assert.Equal(records[i - 1].EndLsn, records[i].Lsn);
        }
    }

    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
