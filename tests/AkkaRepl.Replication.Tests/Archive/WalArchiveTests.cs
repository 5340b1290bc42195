using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Archive;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Wal;

namespace AkkaRepl.Replication.Tests.Archive;

public sealed class WalArchiveTests
{
    private static WalRecord Record(ulong generation, ulong lsn) =>
        new(new Lsn(lsn), new Generation(generation), 0, WalRecordKind.Command, new byte[] { 1 });

    [Theory(Timeout = 5_000)]
    [InlineData(1, 500, true)]    // generation 1 before the promotion: the same everywhere
    [InlineData(1, 1200, false)]  // an old primary went on in generation 1 past the promotion: divergent
    [InlineData(2, 1200, true)]   // the new primary's record
    [InlineData(2, 500, false)]   // generation 2 cannot be before it started
    [InlineData(3, 5000, false)]  // a generation the primary never had
    public async Task An_archived_record_is_used_only_where_the_primarys_history_places_its_generation(ulong generation, ulong lsn, bool matches)
    {
        await Task.Yield();
        IReadOnlyList<GenerationStart> history = [new(new Generation(1), new Lsn(0)), new(new Generation(2), new Lsn(1000))];
        Assert.Equal(matches, WalArchive.MatchesHistory(Record(generation, lsn), history));
    }

    /// <summary>After a divergence was cut, a segment re-seals at the same first and end LSN with other records: the
    /// archive must then hold the primary's current copy, not keep the old, divergent one under the same name.</summary>
    [Fact(Timeout = 10_000)]
    public async Task A_resealed_segment_with_the_same_name_replaces_the_divergent_copy_in_the_archive()
    {
        await Task.Yield();
        var root = Directory.CreateTempSubdirectory("akkarepl-archive-").FullName;
        try
        {
            var archive = new WalArchive(Path.Combine(root, "archive"), new NodeId("p"), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            var segment = Path.Combine(root, "segment.wal");
            await File.WriteAllBytesAsync(segment, Enumerable.Repeat((byte)1, 4096).ToArray()); // generation 1 past the cut
            Assert.Equal(1, archive.ArchiveSealed([new WalSegmentInfo(new Lsn(0), new Lsn(4000), segment)]));
            Assert.Equal(0, archive.ArchiveSealed([new WalSegmentInfo(new Lsn(0), new Lsn(4000), segment)])); // unchanged: kept

            // The cut rewrites the segment file; it re-seals at the same positions with the new generation's records.
            var resealed = Enumerable.Repeat((byte)2, 4096).ToArray();
            await File.WriteAllBytesAsync(segment, resealed);
            File.SetLastWriteTimeUtc(segment, File.GetLastWriteTimeUtc(segment).AddSeconds(1)); // as a later write; coarse clocks aside
            Assert.Equal(1, archive.ArchiveSealed([new WalSegmentInfo(new Lsn(0), new Lsn(4000), segment)]));

            var copy = Assert.Single(Directory.GetFiles(Path.Combine(root, "archive"), "*.wal"));
            Assert.Equal(resealed, await File.ReadAllBytesAsync(copy));
        }
        finally { Directory.Delete(root, recursive: true); }
    }
}
