using AkkaRepl.Core.Ids;
using AkkaRepl.Wal.Tests.Support;

namespace AkkaRepl.Wal.Tests.Writing;

public sealed class WalResetTests
{
    [Fact(Timeout = 30_000)]
    public async Task Reset_starts_an_empty_log_at_the_given_lsn_that_survives_reopening()
    {
        using var dir = new TempDirectory();
        await using (var wal = await WalTestKit.OpenAsync(dir.Path))
        {
            for (var i = 0; i < 10; i++) await wal.AppendAsync(new Generation(1), WalRecordKind.Command, new byte[] { (byte)i });
            await wal.ResetAsync(new Lsn(100_000), new Generation(4), default);
            Assert.Equal(new Lsn(100_000), wal.FirstLsn);
            Assert.Equal(new Lsn(100_000), wal.FlushedLsn);
            Assert.Equal(new Generation(4), wal.LastGeneration);
            var appended = await wal.AppendAsync(new Generation(4), WalRecordKind.Command, "after"u8.ToArray());
            Assert.Equal(new Lsn(100_000), appended.Lsn);
        }
        await using (var wal = await WalTestKit.OpenAsync(dir.Path))
        {
            Assert.Equal(new Lsn(100_000), wal.FirstLsn);
            var records = wal.ReadRange(wal.FirstLsn, wal.FlushedLsn);
            var only = Assert.Single(records);
            Assert.Equal("after"u8.ToArray(), only.Payload.ToArray());
            Assert.Equal(new Generation(4), only.Generation);
        }
        Assert.Single(Directory.GetFiles(dir.Path, "*.wal"));
    }
}
