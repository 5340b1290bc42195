using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Apply;
using AkkaRepl.Replication.Tests.Support;
using AkkaRepl.Storage.StateMachine;
using AkkaRepl.Wal;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Replication.Tests.Apply;

/// <summary>The applier as the WAL's flush listener: records appended concurrently are applied once each, in LSN
/// order without gaps, and every appender gets the reply of its own record (fast path or loop, whichever ran).</summary>
public sealed class ApplierFastPathTests
{
    [Fact(Timeout = 30_000)]
    public async Task Concurrent_appends_are_applied_once_in_order_and_each_gets_its_own_reply()
    {
        await using var log = await TempWal.OpenAsync();
        var wal = log.Wal;
        var state = new RecordingState();
        var applier = new Applier(wal, state, NullLogger.Instance, retainResultsFor: () => Generation.First);
        applier.Start();
        var requests = Enumerable.Range(0, 400).Select(i => new Request(Generation.First, BitConverter.GetBytes(i))).ToList();
        await Task.WhenAll(requests.Select(async r => { await Task.Yield(); await wal.Append(r); }));
        var replies = await Task.WhenAll(requests.Select(r => r.Reply.Task));

        for (var i = 0; i < requests.Count; i++)
            Assert.Equal(BitConverter.ToInt32(requests[i].Payload.Span), (int)replies[i]!); // its own record's reply
        Assert.Equal(requests.Count, state.Applied.Count);                                  // once each
        AssertInLogOrderWithoutGaps(state);
        Assert.Equal(wal.FlushedLsn, applier.AppliedLsn);
        Assert.Equal(0, applier.PendingResults);
        await applier.DisposeAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task A_replica_applies_received_records_once_in_order_and_only_once_they_are_durable()
    {
        await using var log = await TempWal.OpenAsync();
        var wal = log.Wal;
        var state = new RecordingState();
        var applier = new Applier(wal, state, NullLogger.Instance);
        applier.Start();
        var frames = EncodedFrames(wal.WrittenLsn, frames: 50, recordsEach: 5);
        var next = frames[^1].End;
        // Not durable yet (nothing appended): never applied.
        Assert.False(applier.TryApplyDurable(frames[0].Start, frames[0].Bytes));
        Assert.Empty(state.Applied);

        foreach (var (frameStart, _, bytes) in frames)
        {
            await wal.AppendEncodedAsync(bytes, frameStart);
            applier.TryApplyDurable(frameStart, bytes); // the receiver's call; the loop may have got there first
            applier.TryApplyDurable(frameStart, bytes); // a repeat is refused: not at the applied position
        }
        await applier.WaitForAppliedAsync(next);
        Assert.Equal(250, state.Applied.Count);                                               // once each
        AssertInLogOrderWithoutGaps(state);
        Assert.Equal(next, applier.AppliedLsn);
        await applier.DisposeAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task Records_the_fast_path_leaves_to_the_loop_are_applied_by_it_once_in_order_with_every_reply()
    {
        await using var log = await TempWal.OpenAsync();
        var wal = log.Wal;
        var state = new RecordingState();
        var applier = new Applier(wal, state, NullLogger.Instance, retainResultsFor: () => Generation.First);
        applier.Start();
        var expected = 0;
        // Rounds of: requests (fast path), then a group commit holding encoded records too (not complete: the loop's),
        // with no TryApplyDurable, so only the parked loop can apply them.
        for (var round = 0; round < 20; round++)
        {
            var requests = Enumerable.Range(0, 10).Select(i => new Request(Generation.First, BitConverter.GetBytes(expected + i))).ToList();
            foreach (var r in requests) await wal.Append(r);
            Assert.Equal(Enumerable.Range(expected, 10).Cast<object?>(), await Task.WhenAll(requests.Select(r => r.Reply.Task)));
            expected += 10;

            var mixed = new Request(Generation.First, BitConverter.GetBytes(expected + 5));
            var start = wal.WrittenLsn;
            var bytes = new byte[5 * Wal.Format.WalRecordCodec.EncodedSize(4)];
            var used = 0;
            for (var i = 0; i < 5; i++)
                used += Wal.Format.WalRecordCodec.Encode(bytes.AsSpan(used), start + (ulong)used, Generation.First, 1,
                    WalRecordKind.Command, BitConverter.GetBytes(expected + i));
            var encoded = wal.AppendEncodedAsync(bytes, start).AsTask();
            await wal.Append(mixed); // likely in the same group commit as the encoded records
            await encoded;
            Assert.Equal(expected + 5, (int)(await mixed.Reply.Task)!);
            await applier.WaitForAppliedAsync(wal.FlushedLsn);
            expected += 6;
        }
        Assert.Equal(expected, state.Applied.Count);                                           // once each
        AssertInLogOrderWithoutGaps(state);
        Assert.Equal(wal.FlushedLsn, applier.AppliedLsn);
        // (No PendingResults check here: encoded records of the writing generation that were never shown park their replies
        // until DropResults, by design; a primary never appends encoded records.)
        await applier.DisposeAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task A_replicas_group_commits_of_encoded_records_alone_are_applied_by_the_parked_loop_without_TryApplyDurable()
    {
        await using var log = await TempWal.OpenAsync();
        var wal = log.Wal;
        var state = new RecordingState();
        var applier = new Applier(wal, state, NullLogger.Instance); // a replica: no results retained
        applier.Start();
        for (var i = 0; i < 50; i++)
        {
            // One group commit each: no request to show the listener, and nobody calls TryApplyDurable.
            var start = wal.WrittenLsn;
            var record = new byte[Wal.Format.WalRecordCodec.EncodedSize(4)];
            Wal.Format.WalRecordCodec.Encode(record, start, Generation.First, 1, WalRecordKind.Command, BitConverter.GetBytes(i));
            await wal.AppendEncodedAsync(record, start);
            await applier.WaitForAppliedAsync(wal.FlushedLsn);
        }
        Assert.Equal(50, state.Applied.Count);
        AssertInLogOrderWithoutGaps(state);
        await applier.DisposeAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task The_loop_catches_up_with_records_flushed_before_it_started_then_parks_and_the_fast_path_goes_on()
    {
        await using var log = await TempWal.OpenAsync();
        var wal = log.Wal;
        for (var i = 0; i < 100; i++) await wal.AppendAsync(Generation.First, WalRecordKind.Command, BitConverter.GetBytes(i));
        var state = new RecordingState();
        var applier = new Applier(wal, state, NullLogger.Instance, retainResultsFor: () => Generation.First);
        applier.Start();
        await applier.WaitForAppliedAsync(wal.FlushedLsn);
        var requests = Enumerable.Range(100, 50).Select(i => new Request(Generation.First, BitConverter.GetBytes(i))).ToList();
        await Task.WhenAll(requests.Select(async r => { await Task.Yield(); await wal.Append(r); }));
        Assert.Equal(Enumerable.Range(100, 50).Cast<object?>(), await Task.WhenAll(requests.Select(r => r.Reply.Task)));
        await applier.WaitForAppliedAsync(wal.FlushedLsn);
        Assert.Equal(150, state.Applied.Count);
        AssertInLogOrderWithoutGaps(state);
        await applier.DisposeAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task Records_the_receiver_promised_are_left_to_it_so_the_loop_never_reads_them_back()
    {
        await using var log = await TempWal.OpenAsync();
        var wal = log.Wal;
        var state = new RecordingState();
        var applier = new Applier(wal, state, NullLogger.Instance);
        applier.Start();
        await applier.LoopParked(); // nothing flushed yet: the loop parks, and only a wake-up moves it
        var frames = EncodedFrames(wal.WrittenLsn, frames: 20, recordsEach: 5);
        applier.ReceiverApplies(frames[^1].End);
        foreach (var (start, _, bytes) in frames) await wal.AppendEncodedAsync(bytes, start); // a group commit each
        // Flushed, and left alone: before, the flush listener woke the loop for every group commit, and it applied
        // them from the log while the receiver did the same.
        Assert.Equal(frames[0].Start, applier.AppliedLsn);
        Assert.Empty(state.Applied);
        foreach (var (start, _, bytes) in frames) Assert.True(applier.TryApplyDurable(start, bytes));
        Assert.Equal(100, state.Applied.Count);
        AssertInLogOrderWithoutGaps(state);
        Assert.Equal(wal.FlushedLsn, applier.AppliedLsn);
        await applier.DisposeAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task What_the_receiver_cannot_apply_or_leaves_when_its_link_ends_is_applied_by_the_loop()
    {
        await using var log = await TempWal.OpenAsync();
        var wal = log.Wal;
        var state = new RecordingState();
        var applier = new Applier(wal, state, NullLogger.Instance);
        applier.Start();
        await applier.LoopParked();
        var frames = EncodedFrames(wal.WrittenLsn, frames: 6, recordsEach: 5);
        applier.ReceiverApplies(frames[^1].End);
        foreach (var (start, _, bytes) in frames.Take(3)) await wal.AppendEncodedAsync(bytes, start);

        // Handed over out of order: refused (not at the applied position), which wakes the loop for both.
        Assert.False(applier.TryApplyDurable(frames[1].Start, frames[1].Bytes));
        await applier.WaitForAppliedAsync(frames[1].End);

        // Handed over with a damaged second record (the WAL holds the good bytes): the first is applied here, the
        // rest by the loop, from the log.
        var damaged = frames[2].Bytes.ToArray();
        damaged[Wal.Format.WalRecordCodec.EncodedSize(4) + Wal.Format.WalRecordCodec.HeaderBytes] ^= 0xFF;
        Assert.False(applier.TryApplyDurable(frames[2].Start, damaged));
        await applier.WaitForAppliedAsync(frames[2].End);

        // The link ends with frames 3-5 appended and never handed over: the loop takes them.
        await applier.LoopParked();
        foreach (var (start, _, bytes) in frames.Skip(3)) await wal.AppendEncodedAsync(bytes, start);
        Assert.Equal(frames[2].End, applier.AppliedLsn);
        applier.ReceiverStopped();
        await applier.WaitForAppliedAsync(frames[^1].End);

        Assert.Equal(30, state.Applied.Count);                                                // once each
        AssertInLogOrderWithoutGaps(state);
        Assert.Equal(Enumerable.Range(0, 30), state.Payloads);                                // the WAL's bytes
        await applier.DisposeAsync();
    }

    /// <summary>Frames of encoded records from <paramref name="start"/>; record i's payload is i.</summary>
    private static List<(Lsn Start, Lsn End, byte[] Bytes)> EncodedFrames(Lsn start, int frames, int recordsEach)
    {
        var result = new List<(Lsn, Lsn, byte[])>();
        var next = start;
        for (var f = 0; f < frames; f++)
        {
            var bytes = new byte[recordsEach * Wal.Format.WalRecordCodec.EncodedSize(4)];
            var used = 0;
            for (var i = 0; i < recordsEach; i++)
                used += Wal.Format.WalRecordCodec.Encode(bytes.AsSpan(used), next + (ulong)used, Generation.First, 1,
                    WalRecordKind.Command, BitConverter.GetBytes(f * recordsEach + i));
            result.Add((next, next + (ulong)used, bytes));
            next += (ulong)used;
        }
        return result;
    }

    private static void AssertInLogOrderWithoutGaps(RecordingState state)
    {
        for (var i = 1; i < state.Applied.Count; i++) Assert.Equal(state.Applied[i - 1].End, state.Applied[i].Lsn);
    }

    private sealed class Request : WalAppendRequest, IApplyResultSink
    {
        public Request(Generation g, byte[] payload) => SetRecord(g, WalRecordKind.Command, payload);
        public TaskCompletionSource<object?> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _durable;
        protected override void OnDurable(WalAppendResult result) => Interlocked.Increment(ref _durable);
        protected override void OnFailed(Exception error) => Reply.TrySetException(error);
        public void OnApplied(object? result) => Reply.TrySetResult(result);
        public void OnApplyFailed(Exception error) => Reply.TrySetException(error);
    }

    private sealed class RecordingState : IStateMachine
    {
        public List<(Lsn Lsn, Lsn End)> Applied { get; } = [];
        public List<int> Payloads { get; } = [];
        public Lsn AppliedLsn { get; private set; }
        public object? Apply(in CommittedEntry entry)
        {
            lock (Applied)
            {
                Applied.Add((entry.Lsn, entry.EndLsn));
                Payloads.Add(BitConverter.ToInt32(entry.Payload.Span));
            }
            AppliedLsn = entry.EndLsn;
            return BitConverter.ToInt32(entry.Payload.Span);
        }
        public IStateImage CaptureImage() => throw new NotSupportedException();
        public Lsn Restore(Stream source) => throw new NotSupportedException();
    }
}
