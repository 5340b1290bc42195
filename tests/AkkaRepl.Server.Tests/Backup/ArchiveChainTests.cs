using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Server.Backup;
using AkkaRepl.Server.Tests.Node;
using AkkaRepl.Wal;
using AkkaRepl.Wal.Reading;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Server.Tests.Backup;

/// <summary>An archive that holds, at the same positions, a deposed primary's divergent segment and the new primary's.</summary>
public sealed class ArchiveChainTests : IDisposable
{
    private readonly TempDataDir _work = new();
    private string Archive => Path.Combine(_work.Path, "archive");

    public void Dispose() => _work.Dispose();

    /// <summary>Writes a log of (generation, kind) records with 100-byte payloads and puts its one segment in the
    /// archive as <paramref name="node"/> would name it; returns the end LSN of the records.</summary>
    private async Task<(Lsn Cut, Lsn End)> ArchiveLogAsync(string node, int shared, IEnumerable<(ulong Generation, WalRecordKind Kind)> after)
    {
        var dir = Path.Combine(_work.Path, node);
        var wal = await WalWriter.OpenAsync(dir, new WalOptions { PreallocateSegments = false }, NullLogger.Instance);
        var payload = new byte[100];
        await wal.AppendAsync(new Generation(1), WalRecordKind.GenerationStart, ReadOnlyMemory<byte>.Empty);
        for (var i = 0; i < shared; i++) await wal.AppendAsync(new Generation(1), WalRecordKind.Command, payload);
        var cut = wal.WrittenLsn;
        foreach (var (generation, kind) in after)
            await wal.AppendAsync(new Generation(generation), kind, kind == WalRecordKind.Command ? payload : ReadOnlyMemory<byte>.Empty);
        var end = wal.WrittenLsn;
        await wal.StopAsync();
        var segment = Assert.Single(Directory.GetFiles(dir, "*.wal"));
        var first = WalSegmentFile.ReadRecords(segment, Lsn.Zero)[0].Lsn;
        Directory.CreateDirectory(Archive);
        File.Copy(segment, Path.Combine(Archive, $"{first.Value:D20}-{end.Value:D20}.{node}.wal"));
        return (cut, end);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_restore_takes_the_new_primarys_segment_not_a_deposed_primarys_that_reaches_further()
    {
        await Task.Yield();
        // p went on alone in generation 1 past the cut; r1 was promoted there (generation 2) and archived its log.
        var (cut, _) = await ArchiveLogAsync("p", 5, Enumerable.Repeat((1UL, WalRecordKind.Command), 10));
        var (_, end) = await ArchiveLogAsync("r1", 5, [(2UL, WalRecordKind.GenerationStart), (2UL, WalRecordKind.Command), (2UL, WalRecordKind.Command)]);

        var chain = new ArchiveChain(Archive);
        var records = chain.From(Lsn.Zero, [new GenerationStart(new Generation(1), Lsn.Zero)]).ToList();

        Assert.DoesNotContain(records, r => r.Lsn >= cut && r.Generation == new Generation(1)); // none of p's cut records
        Assert.Equal(cut, records.Single(r => r.Kind == WalRecordKind.GenerationStart && r.Generation == new Generation(2)).Lsn);
        Assert.Equal(end, records[^1].EndLsn);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_deposed_primarys_records_past_a_known_generation_start_are_not_restored()
    {
        await Task.Yield();
        // Only p's divergent segment is archived, but the history (from the backup) already places generation 2 at the cut.
        var (cut, _) = await ArchiveLogAsync("p", 5, Enumerable.Repeat((1UL, WalRecordKind.Command), 10));

        var chain = new ArchiveChain(Archive);
        var records = chain.From(Lsn.Zero, [new GenerationStart(new Generation(1), Lsn.Zero), new GenerationStart(new Generation(2), cut)]).ToList();

        Assert.Equal(cut, records[^1].EndLsn);
        Assert.Equal($"the archived segments holding LSN {cut} hold records of a generation that the generation history does not place there (a deposed primary's log)",
            chain.StopReason);
    }
}
