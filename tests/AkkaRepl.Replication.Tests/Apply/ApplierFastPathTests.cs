using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Apply;
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
        var dir = Directory.CreateTempSubdirectory("akkarepl-applier-").FullName;
        try
        {
            await using var wal = await WalWriter.OpenAsync(dir, new WalOptions(), NullLogger.Instance);
            var state = new RecordingState();
            var applier = new Applier(wal, state, NullLogger.Instance, retainResultsFor: () => Generation.First);
            applier.Start();
            var requests = Enumerable.Range(0, 400).Select(i => new Request(Generation.First, BitConverter.GetBytes(i))).ToList();
            await Task.WhenAll(requests.Select(async r => { await Task.Yield(); await wal.Append(r); }));
            var replies = await Task.WhenAll(requests.Select(r => r.Reply.Task));

            for (var i = 0; i < requests.Count; i++)
                Assert.Equal(BitConverter.ToInt32(requests[i].Payload.Span), (int)replies[i]!); // its own record's reply
            Assert.Equal(requests.Count, state.Applied.Count);                                  // once each
            for (var i = 1; i < state.Applied.Count; i++) Assert.Equal(state.Applied[i - 1].End, state.Applied[i].Lsn); // in order, no gap
            Assert.Equal(wal.FlushedLsn, applier.AppliedLsn);
            Assert.Equal(0, applier.PendingResults);
            await applier.DisposeAsync();
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_replica_applies_received_records_once_in_order_and_only_once_they_are_durable()
    {
        var dir = Directory.CreateTempSubdirectory("akkarepl-applier-").FullName;
        try
        {
            await using var wal = await WalWriter.OpenAsync(dir, new WalOptions(), NullLogger.Instance);
            var state = new RecordingState();
            var applier = new Applier(wal, state, NullLogger.Instance);
            applier.Start();
            var start = wal.WrittenLsn;
            var frames = new List<(Lsn Start, byte[] Bytes)>();
            var next = start;
            for (var f = 0; f < 50; f++)
            {
                var bytes = new byte[5 * Wal.Format.WalRecordCodec.EncodedSize(4)];
                var used = 0;
                for (var i = 0; i < 5; i++)
                {
                    var lsn = next + (ulong)used;
                    used += Wal.Format.WalRecordCodec.Encode(bytes.AsSpan(used), lsn, Generation.First, 1, WalRecordKind.Command, BitConverter.GetBytes(f * 5 + i));
                }
                frames.Add((next, bytes));
                next += (ulong)used;
            }
            // Not durable yet (nothing appended): never applied.
            Assert.False(applier.TryApplyDurable(frames[0].Start, frames[0].Bytes));
            Assert.Empty(state.Applied);

            foreach (var (frameStart, bytes) in frames)
            {
                await wal.AppendEncodedAsync(bytes, frameStart);
                applier.TryApplyDurable(frameStart, bytes); // the receiver's call; the loop may have got there first
                applier.TryApplyDurable(frameStart, bytes); // a repeat is refused: not at the applied position
            }
            await applier.WaitForAppliedAsync(next);
            Assert.Equal(250, state.Applied.Count);                                               // once each
            for (var i = 1; i < state.Applied.Count; i++) Assert.Equal(state.Applied[i - 1].End, state.Applied[i].Lsn); // in order, no gap
            Assert.Equal(next, applier.AppliedLsn);
            await applier.DisposeAsync();
        }
        finally { Directory.Delete(dir, recursive: true); }
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
        public Lsn AppliedLsn { get; private set; }
        public object? Apply(in CommittedEntry entry)
        {
            lock (Applied) Applied.Add((entry.Lsn, entry.EndLsn));
            AppliedLsn = entry.EndLsn;
            return BitConverter.ToInt32(entry.Payload.Span);
        }
        public IStateImage CaptureImage() => throw new NotSupportedException();
        public Lsn Restore(Stream source) => throw new NotSupportedException();
    }
}
