using AkkaRepl.Core.Ids;
using AkkaRepl.Server.Backup;
using AkkaRepl.Server.Tests.Security;

namespace AkkaRepl.Server.Tests.Backup;

public sealed class BackupHoldsTests
{
    [Fact(Timeout = 5_000)]
    public async Task A_hold_lasts_while_the_image_streams_and_at_most_its_linger_after()
    {
        await Task.Yield();
        var clock = new ManualClock(DateTimeOffset.UnixEpoch.AddYears(56));
        var holds = new BackupHolds(clock);
        Assert.Null(holds.Floor());

        var streaming = holds.Take(new Lsn(500));
        var sent = holds.Take(new Lsn(300));
        Assert.Equal(new Lsn(300), holds.Floor());
        holds.Expire(sent); // its image was sent; its client never asks for the WAL
        clock.Advance(BackupHolds.Linger - TimeSpan.FromSeconds(1));
        Assert.Equal(new Lsn(300), holds.Floor());
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(new Lsn(500), holds.Floor()); // lapsed; the one still streaming holds on
        clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(new Lsn(500), holds.Floor());
        holds.Release(streaming);
        Assert.Null(holds.Floor());
    }
}
