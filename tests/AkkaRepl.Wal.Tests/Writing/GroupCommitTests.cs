using System.Diagnostics;
using AkkaRepl.Core.Ids;
using AkkaRepl.Wal.Tests.Support;

namespace AkkaRepl.Wal.Tests.Writing;

/// <summary>The group commit's bounded wait for more appends (max-group-commit-delay), and
/// <see cref="WalWriter.CommitQueued"/>, with which a producer that issues bursts ends it.</summary>
public sealed class GroupCommitTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(100);

    [Fact(Timeout = 60_000)]
    public async Task A_lone_append_after_a_bigger_commit_waits_for_more_unless_the_producer_says_its_burst_is_queued()
    {
        using var dir = new TempDirectory();
        await using var wal = await WalTestKit.OpenAsync(dir.Path, WalTestKit.Default with { MaxGroupCommitDelay = Delay });
        var next = 0;

        // Without the signal: the append waits the whole delay for appends that never come.
        await CommitABurstAsync(wal, () => next++);
        var alone = Stopwatch.StartNew();
        await wal.AppendAsync(new Generation(1), WalRecordKind.Command, WalTestKit.Payload(next++));
        Assert.True(alone.Elapsed >= Delay * 0.9, $"a lone append took {alone.Elapsed.TotalMilliseconds:0} ms: no wait for more");

        // With it: committed without waiting. Best of three, so one scheduling hiccup of the machine cannot fail
        // this; an implementation that ignored the signal would wait the delay every time.
        var best = TimeSpan.MaxValue;
        for (var attempt = 0; attempt < 3 && best >= Delay; attempt++)
        {
            await CommitABurstAsync(wal, () => next++);
            var told = Stopwatch.StartNew();
            var append = wal.AppendAsync(new Generation(1), WalRecordKind.Command, WalTestKit.Payload(next++));
            wal.CommitQueued();
            await append;
            if (told.Elapsed < best) best = told.Elapsed;
        }
        Assert.True(best < Delay, $"an append followed by CommitQueued still took {best.TotalMilliseconds:0} ms");
        WalTestKit.AssertPayloads(WalTestKit.ReadAll(wal), 0, next, "after the commits");
    }

    [Fact(Timeout = 60_000)]
    public async Task A_commit_ticket_is_signalled_once_everything_queued_before_it_is_durable()
    {
        using var dir = new TempDirectory();
        await using var wal = await WalTestKit.OpenAsync(dir.Path);
        await wal.AppendAsync(new Generation(1), WalRecordKind.Command, WalTestKit.Payload(0));
        Assert.True(wal.WhenCommitted(wal.CommitQueued(), () => Assert.Fail("signalled for a ticket already committed")));

        var appends = Enumerable.Range(1, 8)
            .Select(i => wal.AppendAsync(new Generation(1), WalRecordKind.Command, WalTestKit.Payload(i)).AsTask()).ToArray();
        var signalled = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var durableAtSignal = 0L;
        var ticket = wal.CommitQueued();
        if (wal.WhenCommitted(ticket, () => { durableAtSignal = (long)wal.FlushedLsn.Value; signalled.TrySetResult(ticket); }))
            signalled.TrySetResult(-1); // committed before the wait was registered: no signal comes
        await Task.WhenAll(appends);
        var result = await signalled.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var last = await appends[^1];
        if (result != -1) Assert.True(durableAtSignal >= (long)last.EndLsn.Value, "signalled before the burst was durable");
        WalTestKit.AssertPayloads(WalTestKit.ReadAll(wal), 0, 9);
    }

    /// <summary>Commits concurrent appends until one group commit held more than one (so the next one waits for more).</summary>
    private static async Task CommitABurstAsync(WalWriter wal, Func<int> nextIndex)
    {
        for (var tries = 0; tries < 50; tries++)
        {
            var appends = Enumerable.Range(0, 16)
                .Select(_ => wal.AppendAsync(new Generation(1), WalRecordKind.Command, WalTestKit.Payload(nextIndex())).AsTask())
                .ToArray();
            await Task.WhenAll(appends);
            if (wal.LastBatchCount > 1) return;
        }
        Assert.Fail("16 concurrent appends never shared a group commit in 50 tries");
    }
}
