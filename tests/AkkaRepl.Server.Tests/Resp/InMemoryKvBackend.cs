using System.Threading.Channels;
using AkkaRepl.Core.Ids;
using AkkaRepl.Server.Resp;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Storage.StateMachine;

namespace AkkaRepl.Server.Tests.Resp;

/// <summary>
/// A node stand-in for RESP tests: payloads are applied to a <see cref="KvStore"/> in arrival order, with
/// synthetic LSNs, by one background loop (like the applier). <see cref="HoldWrites"/> pauses applying so
/// tests can see how many writes a connection issues before any completes.
/// </summary>
public sealed class InMemoryKvBackend : IKvBackend, IAsyncDisposable
{
    private readonly Channel<(byte[] Payload, TaskCompletionSource<KvReply> Done)> _queue = Channel.CreateUnbounded<(byte[], TaskCompletionSource<KvReply>)>();
    private readonly Task _applier;
    private TaskCompletionSource _gate = CompletedGate();
    private Lsn _next = Lsn.Zero;
    private int _received;

    public InMemoryKvBackend()
    {
        _applier = Task.Run(ApplyLoopAsync);
    }

    public KvStore Store { get; } = new();
    public bool AcceptsWrites { get; set; } = true;

    /// <summary>Writes received so far (applied or not).</summary>
    public int WritesReceived => Volatile.Read(ref _received);

    /// <summary>Completes once at least <paramref name="count"/> writes were received.</summary>
    public async Task WaitForWritesReceivedAsync(int count, CancellationToken ct)
    {
        while (WritesReceived < count)
        {
            var signal = Volatile.Read(ref _receivedSignal).Task;
            if (WritesReceived >= count) return;
            await signal.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private TaskCompletionSource _receivedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void HoldWrites() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    public void ReleaseWrites() => _gate.TrySetResult();

    /// <summary>When true, a write is applied on the caller's thread and returns a completed task (a node whose write
    /// path finished at once). Do not combine with <see cref="HoldWrites"/>.</summary>
    public bool ApplyInline { get; set; }

    private readonly object _inlineGate = new();

    /// <summary>Answer of <see cref="WaitsForReplicas"/>: true acts as a cluster member writing above <c>local</c>.</summary>
    public bool ReplicasWaitedFor { get; set; }

    /// <summary>When true, <c>WAIT</c> with a positive count waits (as for replicas that never answer) until its timeout
    /// or cancellation, then answers 0; else it answers 0 at once.</summary>
    public bool WaitBlocks { get; set; }

    /// <summary><c>WAIT</c>s waiting now.</summary>
    public int WaitsInFlight => Volatile.Read(ref _waitsInFlight);
    private int _waitsInFlight;

    public async Task<long> WaitForReplicasAsync(ulong lsn, int replicas, TimeSpan? timeout, CancellationToken ct)
    {
        if (!WaitBlocks || replicas == 0) return 0;
        Interlocked.Increment(ref _waitsInFlight);
        try { await Task.Delay(timeout ?? Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
        finally { Interlocked.Decrement(ref _waitsInFlight); }
        return 0;
    }

    /// <summary>How many times the event loop's gate asked to wait for a burst's commit.</summary>
    public int GateWaits => Volatile.Read(ref _gateWaits);
    private int _gateWaits;

    public bool WaitsForReplicas(AkkaRepl.Replication.Primary.Durability level) => ReplicasWaitedFor;

    public bool WritesDispatched(Action committed)
    {
        Interlocked.Increment(ref _gateWaits);
        return false; // nothing to wait for: the loop goes on at once
    }

    public ValueTask<KvReply> WriteAsync(ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        if (ApplyInline)
        {
            lock (_inlineGate)
            {
                var entry = new CommittedEntry(Generation.First, _next, _next + (ulong)(payload.Length + 32), 0, payload.ToArray());
                _next = entry.EndLsn;
                return new ValueTask<KvReply>(Store.ApplyEntry(entry));
            }
        }
        Interlocked.Increment(ref _received);
        Interlocked.Exchange(ref _receivedSignal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        var done = new TaskCompletionSource<KvReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Writer.TryWrite((payload.ToArray(), done));
        return new ValueTask<KvReply>(done.Task);
    }

    public string GetInfo(string? section) => section switch
    {
        null or "server" => "# Server\r\nredis_version:7.2.0\r\nredis_mode:standalone\r\n" +
                            (section is null ? "\r\n# Replication\r\nrole:" + Role + "\r\n" : ""),
        "replication" => "# Replication\r\nrole:" + Role + "\r\n",
        _ => "",
    };

    private string Role => AcceptsWrites ? "master" : "slave";

    private async Task ApplyLoopAsync()
    {
        await foreach (var (payload, done) in _queue.Reader.ReadAllAsync())
        {
            await _gate.Task.ConfigureAwait(false);
            try
            {
                var entry = new CommittedEntry(Generation.First, _next, _next + (ulong)(payload.Length + 32), 0, payload);
                _next = entry.EndLsn;
                done.SetResult(Store.ApplyEntry(entry));
            }
            catch (Exception e) { done.SetException(e); }
        }
    }

    private static TaskCompletionSource CompletedGate()
    {
        var gate = new TaskCompletionSource();
        gate.SetResult();
        return gate;
    }

    public async ValueTask DisposeAsync()
    {
        ReleaseWrites();
        _queue.Writer.TryComplete();
        await _applier.ConfigureAwait(false);
    }
}
