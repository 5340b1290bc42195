using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Primary;

namespace AkkaRepl.Replication.Tests.Primary;

public sealed class CommitTrackerTests
{
    private static readonly NodeId A = new("a"), B = new("b"), C = new("c"), D = new("d");

    private static CommitTracker ThreeNodes() => new([A, B], votingMembers: 3);

    [Fact(Timeout = 5_000)]
    public async Task Quorum_of_three_needs_the_primary_and_one_replica()
    {
        await Task.Yield();
        var t = ThreeNodes();
        t.ReplicaAcked(A, new ReplicaPosition(new Lsn(100), new Lsn(100), new Lsn(50)));
        Assert.Equal(Lsn.Zero, t.DurableAt(Durability.Quorum)); // the primary has not flushed yet
        t.PrimaryFlushedTo(new Lsn(80));
        Assert.Equal(new Lsn(80), t.DurableAt(Durability.Quorum));
        t.PrimaryFlushedTo(new Lsn(200));
        Assert.Equal(new Lsn(100), t.DurableAt(Durability.Quorum));
        Assert.Equal(Lsn.Zero, t.DurableAt(Durability.All)); // b has nothing
        Assert.Equal(new Lsn(200), t.DurableAt(Durability.Local));
    }

    [Fact(Timeout = 5_000)]
    public async Task Quorum_of_five_needs_two_replicas_the_second_highest_counts()
    {
        await Task.Yield();
        var t = new CommitTracker([A, B, C, D], votingMembers: 5);
        t.PrimaryFlushedTo(new Lsn(1000));
        t.ReplicaAcked(A, new ReplicaPosition(new Lsn(900), new Lsn(900), default));
        t.ReplicaAcked(B, new ReplicaPosition(new Lsn(300), new Lsn(300), default));
        t.ReplicaAcked(C, new ReplicaPosition(new Lsn(700), new Lsn(700), default));
        Assert.Equal(3, t.QuorumSize);
        Assert.Equal(new Lsn(700), t.DurableAt(Durability.Quorum));
        Assert.Equal(new Lsn(900), t.DurableAt(Durability.Replicas(1)));
        Assert.Equal(new Lsn(300), t.DurableAt(Durability.Replicas(3)));
        Assert.Equal(Lsn.Zero, t.DurableAt(Durability.Replicas(4)));
        Assert.Equal(Lsn.Zero, t.DurableAt(Durability.All));
        Assert.Equal(new[] { A, C }, t.HeldBy(new Lsn(700)));
    }

    [Fact(Timeout = 5_000)]
    public async Task Quorum_counts_only_voters_a_non_voting_replica_holding_a_write_does_not_make_it_quorum_durable()
    {
        await Task.Yield();
        // p, a, b vote; c does not. A quorum is 2 of the 3 voters: p and one of a, b. c's flush is no help, since
        // an election among a and b (which c cannot influence) could pick a node without the write (G1).
        var t = new CommitTracker([A, B, C], votingMembers: 3, votingReplicas: [A, B]);
        t.PrimaryFlushedTo(new Lsn(1000));
        t.ReplicaAcked(C, new ReplicaPosition(new Lsn(1000), new Lsn(1000), default));
        Assert.Equal(Lsn.Zero, t.DurableAt(Durability.Quorum));
        Assert.Equal(new Lsn(1000), t.DurableAt(Durability.Replicas(1)));   // replicas K counts any replica, as documented
        t.ReplicaAcked(B, new ReplicaPosition(new Lsn(600), new Lsn(600), default));
        Assert.Equal(new Lsn(600), t.DurableAt(Durability.Quorum));
        Assert.True(t.IsReachable(Durability.Quorum));
        Assert.False(new CommitTracker([C], votingMembers: 3, votingReplicas: []).IsReachable(Durability.Quorum));
    }

    [Fact(Timeout = 5_000)]
    public async Task A_replica_reporting_a_lower_position_never_moves_a_level_back()
    {
        await Task.Yield();
        var t = ThreeNodes();
        t.PrimaryFlushedTo(new Lsn(500));
        t.ReplicaAcked(A, new ReplicaPosition(new Lsn(400), new Lsn(400), new Lsn(400)));
        t.ReplicaAcked(A, new ReplicaPosition(new Lsn(100), new Lsn(100), new Lsn(100))); // reconnected, stale report
        Assert.Equal(new Lsn(400), t.DurableAt(Durability.Quorum));
        Assert.Equal(new Lsn(400), t.DurableAt(Durability.Applied(1)));
    }

    [Fact(Timeout = 5_000)]
    public async Task Applied_counts_apply_positions_not_flushes()
    {
        await Task.Yield();
        var t = ThreeNodes();
        t.PrimaryFlushedTo(new Lsn(500));
        t.ReplicaAcked(A, new ReplicaPosition(new Lsn(500), new Lsn(500), new Lsn(120)));
        Assert.Equal(new Lsn(120), t.DurableAt(Durability.Applied(1)));
        Assert.Equal(new Lsn(500), t.DurableAt(Durability.Replicas(1)));
    }

    [Fact(Timeout = 5_000)]
    public async Task Acks_from_non_members_are_ignored_and_single_node_quorum_is_local()
    {
        await Task.Yield();
        var alone = new CommitTracker([], votingMembers: 1);
        alone.PrimaryFlushedTo(new Lsn(42));
        Assert.False(alone.ReplicaAcked(A, new ReplicaPosition(new Lsn(99), new Lsn(99), new Lsn(99))));
        Assert.Equal(new Lsn(42), alone.DurableAt(Durability.Quorum));
        Assert.Equal(new Lsn(42), alone.DurableAt(Durability.All));
        Assert.False(alone.IsReachable(Durability.Replicas(1)));
        Assert.True(alone.IsReachable(Durability.Quorum));
    }

    [Theory(Timeout = 5_000)]
    [InlineData("local", "local")]
    [InlineData("QUORUM", "quorum")]
    [InlineData(" all ", "all")]
    [InlineData("replicas 2", "replicas 2")]
    [InlineData("applied  1", "applied 1")]
    public async Task Durability_parses_its_written_forms(string text, string expected)
    {
        await Task.Yield();
        Assert.Equal(expected, Durability.Parse(text).ToString());
    }

    [Theory(Timeout = 5_000)]
    [InlineData("replicas", "durability 'replicas K' needs a whole number K >= 1, as in 'replicas 1'")]
    [InlineData("replicas 0", "durability 'replicas K' needs a whole number K >= 1, as in 'replicas 1'")]
    [InlineData("most", "unknown durability 'most': expected local, quorum, all, replicas K or applied K")]
    [InlineData("quorum 2", "unknown durability 'quorum 2': expected local, quorum, all, replicas K or applied K")]
    public async Task Bad_durability_text_is_refused_with_the_expected_forms(string text, string message)
    {
        await Task.Yield();
        Assert.Equal(message, Assert.Throws<AkkaReplException>(() => Durability.Parse(text)).Message);
    }
}
