using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Primary;
using Microsoft.Extensions.Time.Testing;

namespace AkkaRepl.Replication.Tests.Primary;

public sealed class DurabilityGateTests
{
    private static readonly NodeId A = new("a"), B = new("b");
    private static readonly Generation G = new(2);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static (DurabilityGate Gate, FakeTimeProvider Time) Three()
    {
        var time = new FakeTimeProvider();
        return (new DurabilityGate(new CommitTracker([A, B], votingMembers: 3), time), time);
    }

    private static Task<WriteReceipt> Write(DurabilityGate gate, ulong end, Durability level, DurabilityTimeoutPolicy policy) =>
        gate.WaitAsync(G, new Lsn(end - 10), new Lsn(end), 0, level, Timeout, policy, CancellationToken.None);

    [Fact(Timeout = 5_000)]
    public async Task A_quorum_write_is_released_when_the_primary_and_one_replica_flushed_it()
    {
        var (gate, _) = Three();
        gate.PrimaryFlushedTo(new Lsn(100));
        var write = Write(gate, 100, Durability.Quorum, DurabilityTimeoutPolicy.Block);
        Assert.False(write.IsCompleted);
        gate.ReplicaAcked(A, new ReplicaPosition(new Lsn(100), new Lsn(90), default));
        Assert.False(write.IsCompleted); // written is not flushed
        gate.ReplicaAcked(A, new ReplicaPosition(new Lsn(100), new Lsn(100), default));
        var receipt = await write;
        Assert.Equal(Durability.Quorum, receipt.Reached);
        Assert.False(receipt.Degraded);
        Assert.Equal(new[] { A }, receipt.HeldBy);
        Assert.Equal(new Lsn(100), receipt.EndLsn);
    }

    [Fact(Timeout = 5_000)]
    public async Task Degrade_answers_after_the_timeout_with_what_was_reached_and_counts_the_time()
    {
        var (gate, time) = Three();
        gate.PrimaryFlushedTo(new Lsn(100));
        var write = Write(gate, 100, Durability.All, DurabilityTimeoutPolicy.Degrade);
        gate.ReplicaAcked(A, new ReplicaPosition(new Lsn(100), new Lsn(100), default));
        time.Advance(Timeout);
        var receipt = await write;
        Assert.True(receipt.Degraded);
        Assert.Equal(Durability.Quorum, receipt.Reached); // a and the primary: a majority, not all
        Assert.True(gate.IsDegraded);
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(3), gate.DegradedTotal);

        // The next write that meets its level ends the degraded period.
        gate.ReplicaAcked(B, new ReplicaPosition(new Lsn(100), new Lsn(100), default));
        var next = await Write(gate, 100, Durability.All, DurabilityTimeoutPolicy.Degrade);
        Assert.False(next.Degraded);
        Assert.False(gate.IsDegraded);
        Assert.Equal(TimeSpan.FromSeconds(3), gate.DegradedTotal);
    }

    [Fact(Timeout = 5_000)]
    public async Task Fail_tells_the_client_the_write_is_durable_on_the_primary_only()
    {
        var (gate, time) = Three();
        gate.PrimaryFlushedTo(new Lsn(100));
        var write = Write(gate, 100, Durability.Quorum, DurabilityTimeoutPolicy.Fail);
        time.Advance(Timeout);
        var error = await Assert.ThrowsAsync<DurabilityNotReachedException>(() => write);
        Assert.Equal("durability quorum was not reached within 5000 ms: the write is durable on the primary only (generation 2, lsn 100, durability local)", error.Message);
        Assert.Equal(Durability.Local, error.Receipt.Reached);
    }

    [Fact(Timeout = 5_000)]
    public async Task Block_keeps_waiting_past_the_timeout_and_never_answers_weaker()
    {
        var (gate, time) = Three();
        gate.PrimaryFlushedTo(new Lsn(100));
        var write = Write(gate, 100, Durability.Quorum, DurabilityTimeoutPolicy.Block);
        time.Advance(Timeout * 3);
        await Task.Yield();
        Assert.False(write.IsCompleted);
        gate.ReplicaAcked(B, new ReplicaPosition(new Lsn(100), new Lsn(100), default));
        Assert.Equal(Durability.Quorum, (await write).Reached);
    }

    [Fact(Timeout = 10_000)]
    public async Task Abandoned_waiters_are_compacted_during_a_long_outage()
    {
        var (gate, time) = Three();
        for (var round = 0; round < 5; round++)
        {
            var writes = Enumerable.Range(1, 3000).Select(i => Write(gate, (ulong)(round * 10_000 + i * 2 + 10), Durability.Quorum, DurabilityTimeoutPolicy.Degrade)).ToList();
            gate.PrimaryFlushedTo(new Lsn((ulong)(round * 10_000 + 10_000)));
            time.Advance(Timeout);
            foreach (var w in writes) Assert.True((await w).Degraded);
        }
        // A replica comes back: everything still waiting is released, nothing throws.
        gate.ReplicaAcked(A, new ReplicaPosition(new Lsn(60_000), new Lsn(60_000), default));
        Assert.False((await Write(gate, 50_000, Durability.Quorum, DurabilityTimeoutPolicy.Degrade)).Degraded);
    }
}
