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
}
