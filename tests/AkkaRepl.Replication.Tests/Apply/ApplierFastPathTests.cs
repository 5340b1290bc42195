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
