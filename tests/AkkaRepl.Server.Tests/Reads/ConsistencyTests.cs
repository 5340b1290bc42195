using AkkaRepl.Client.Resp;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Node;
using AkkaRepl.Server.Tests.Node;
using AkkaRepl.Testing.Specs;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Reads;

/// <summary>CONSISTENCY on real nodes of one process: each level served where it may be, waited for where it must
/// be, and refused with the documented TRYAGAIN text naming the primary otherwise.</summary>
public sealed class ConsistencyTests(ITestOutputHelper output)
{
    private static async Task<RespConnection> Connect(NodeHost node) => await RespConnection.ConnectAsync("127.0.0.1", node.RespPort);

    private static string PrimaryText(NodeHost p) => $"primary p at 127.0.0.1:{p.RespPort}";

    /// <summary>Sets per-node read options before the node's first start.</summary>
    private static void Reads(InProcessCluster cluster, string id, ReadOptions reads) =>
        cluster.Options[id] = cluster.OptionsFor(id) with { Reads = reads };

    [Fact(Timeout = 60_000)]
    public async Task Consistency_shows_and_sets_the_level_and_refuses_bad_input_with_exact_text()
    {
        await using var cluster = new InProcessCluster("p");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            await using var redis = await Connect(p);
            Assert.Equal("eventual", (await redis.ExecuteAsync(default, "CONSISTENCY")).AsString());
            Assert.Equal("OK", (await redis.ExecuteAsync(default, "CONSISTENCY", "bounded-staleness", "500ms")).AsString());
            Assert.Equal("bounded-staleness 500ms", (await redis.ExecuteAsync(default, "CONSISTENCY")).AsString());
            Assert.Equal("OK", (await redis.ExecuteAsync(default, "CONSISTENCY", "READ-YOUR-WRITES", "4096")).AsString());
            Assert.Equal("read-your-writes 4096", (await redis.ExecuteAsync(default, "CONSISTENCY")).AsString());
            Assert.Equal("ERR unknown consistency 'strong': expected linearizable, read-your-writes <lsn>, bounded-staleness <duration> or eventual",
                (await redis.ExecuteAsync(default, "CONSISTENCY", "strong")).Text);
            Assert.Equal("ERR read-your-writes takes one LSN token: the number LASTLSN or a write's receipt gives, e.g. CONSISTENCY read-your-writes 4096",
                (await redis.ExecuteAsync(default, "CONSISTENCY", "read-your-writes", "-1")).Text);
            Assert.Equal("ERR bounded-staleness takes one positive duration with its unit, e.g. CONSISTENCY bounded-staleness 500ms (or 2s)",
                (await redis.ExecuteAsync(default, "CONSISTENCY", "bounded-staleness", "soon")).Text);
            Assert.Equal("ERR linearizable takes no argument", (await redis.ExecuteAsync(default, "CONSISTENCY", "linearizable", "now")).Text);
            Assert.Equal("read-your-writes 4096", (await redis.ExecuteAsync(default, "CONSISTENCY")).AsString()); // unchanged by errors

            // LASTLSN pipelined right after a write names that write; APPLIEDLSN covers the state reads see.
            redis.Append(["SET", "p", "1"]);
            redis.Append(["LASTLSN"]);
            redis.Append(["APPLIEDLSN"]);
            await redis.FlushAsync();
            Assert.Equal("OK", (await redis.ReadAsync()).AsString());
            var written = (await redis.ReadAsync()).Integer;
            Assert.True(written > 0, "LASTLSN pipelined after SET answered 0");
            Assert.Equal((long)p.Applier.AppliedLsn.Value, written); // the only write so far ends the log
            Assert.True((await redis.ReadAsync()).Integer >= written);

            // A single node is its own majority: linearizable reads need no round trip.
            Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", "k", "v")).AsString());
            Assert.Equal("OK", (await redis.ExecuteAsync(default, "CONSISTENCY", "linearizable")).AsString());
            Assert.Equal("v", (await redis.ExecuteAsync(default, "GET", "k")).AsString());
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task Read_your_writes_waits_for_a_delayed_replica_and_answers_TRYAGAIN_naming_the_primary_after_the_wait_timeout()
    {
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            Reads(cluster, "r1", new ReadOptions { WaitTimeout = TimeSpan.FromSeconds(20) });
            var r1 = await cluster.StartAsync("r1", r => r with { ApplyDelay = TimeSpan.FromSeconds(1.5) });
            Reads(cluster, "r2", new ReadOptions { WaitTimeout = TimeSpan.FromMilliseconds(200) });
            var r2 = await cluster.StartAsync("r2", r => r with { ApplyDelay = TimeSpan.FromSeconds(30) });
            await Wait.Until(() => p.GetStatus().Replicas.All(r => r.State == "streaming"), "both replicas streaming");

            await using var primary = await Connect(p);
            Assert.Equal("OK", (await primary.ExecuteAsync(default, "SET", "k", "mine")).AsString());
            var token = (await primary.ExecuteAsync(default, "LASTLSN")).Integer;

            await using var onR1 = await Connect(r1);
            var started = DateTimeOffset.UtcNow;
            Assert.Null((await onR1.ExecuteAsync(default, "GET", "k")).AsString()); // eventual: not applied yet (1.5 s delay)
            Assert.Equal("OK", (await onR1.ExecuteAsync(default, "CONSISTENCY", "read-your-writes", token.ToString())).AsString());
            Assert.Equal("mine", (await onR1.ExecuteAsync(default, "GET", "k")).AsString());
            output.WriteLine($"read-your-writes on the delayed replica answered after {(DateTimeOffset.UtcNow - started).TotalMilliseconds:F0} ms");
            Assert.True(r1.Applier.AppliedLsn.Value >= (ulong)token);

            await using var onR2 = await Connect(r2);
            Assert.Equal("OK", (await onR2.ExecuteAsync(default, "CONSISTENCY", "read-your-writes", token.ToString())).AsString());
            var refused = await onR2.ExecuteAsync(default, "GET", "k");
            Assert.Equal($"TRYAGAIN read-your-writes: LSN {token} is not applied on r2 after 200 ms (applied {r2.Applier.AppliedLsn.Value}); {PrimaryText(p)}",
                refused.Text);
            // The connection stays usable, and the primary serves the same read at once.
            Assert.Equal("OK", (await onR2.ExecuteAsync(default, "CONSISTENCY", "eventual")).AsString());
            Assert.Equal("OK", (await primary.ExecuteAsync(default, "CONSISTENCY", "read-your-writes", token.ToString())).AsString());
            Assert.Equal("mine", (await primary.ExecuteAsync(default, "GET", "k")).AsString());
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task Only_an_already_applied_read_your_writes_token_skips_the_gate_steps_and_the_answer_is_the_same()
    {
        await using var cluster = new InProcessCluster("p");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            await using var redis = await Connect(p);
            Assert.Equal("OK", (await redis.ExecuteAsync(default, "SET", "k", "v")).AsString());
            var applied = p.Applier.AppliedLsn.Value;
            var gate = new AkkaRepl.Server.Reads.NodeReadGate(p);
            Assert.True(gate.AdmitsAtOnce(AkkaRepl.Server.Reads.ReadConsistency.ReadYourWrites(applied)));
            Assert.True(gate.AdmitsAtOnce(AkkaRepl.Server.Reads.ReadConsistency.ReadYourWrites(1)));
            Assert.False(gate.AdmitsAtOnce(AkkaRepl.Server.Reads.ReadConsistency.ReadYourWrites(applied + 1)));   // must wait
            Assert.False(gate.AdmitsAtOnce(AkkaRepl.Server.Reads.ReadConsistency.Linearizable));                   // must confirm
            Assert.False(gate.AdmitsAtOnce(AkkaRepl.Server.Reads.ReadConsistency.BoundedStaleness(TimeSpan.FromSeconds(1))));
            // Over RESP: the applied token reads at once; a token past the log waits out the wait timeout, then TRYAGAIN.
            Assert.Equal("OK", (await redis.ExecuteAsync(default, "CONSISTENCY", "read-your-writes", applied.ToString())).AsString());
            Assert.Equal("v", (await redis.ExecuteAsync(default, "GET", "k")).AsString());
            Assert.Equal("OK", (await redis.ExecuteAsync(default, "CONSISTENCY", "read-your-writes", (applied + 1_000_000).ToString())).AsString());
            Assert.StartsWith("TRYAGAIN", (await redis.ExecuteAsync(default, "GET", "k")).Text);
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task Thousands_of_waiting_reads_hold_no_thread_and_do_not_stop_the_applier()
    {
        await using var cluster = new InProcessCluster("p", "r1");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            Reads(cluster, "r1", new ReadOptions { WaitTimeout = TimeSpan.FromSeconds(30) });
            var r1 = await cluster.StartAsync("r1", r => r with { ApplyDelay = TimeSpan.FromSeconds(1) });
            await Wait.Until(() => p.GetStatus().Replicas.All(r => r.State == "streaming"), "the replica streaming");
            await using var primary = await Connect(p);
            Assert.Equal("OK", (await primary.ExecuteAsync(default, "SET", "k", "v1")).AsString());
            var token = (await primary.ExecuteAsync(default, "LASTLSN")).Integer;

            // 2000 pipelined read-your-writes GETs on one connection and one each on 50 more connections, all waiting.
            var threadsBefore = System.Diagnostics.Process.GetCurrentProcess().Threads.Count;
            await using var pipelined = await Connect(r1);
            pipelined.Append(["CONSISTENCY", "read-your-writes", token.ToString()]);
            for (var i = 0; i < 2000; i++) pipelined.Append(["GET", "k"]);
            await pipelined.FlushAsync();
            var others = new List<RespConnection>();
            var answers = new List<Task<RespValue>>();
            for (var i = 0; i < 50; i++)
            {
                var c = await Connect(r1);
                others.Add(c);
                Assert.Equal("OK", (await c.ExecuteAsync(default, "CONSISTENCY", "read-your-writes", token.ToString())).AsString());
                answers.Add(c.ExecuteAsync(default, "GET", "k"));
            }
            var threadsWaiting = System.Diagnostics.Process.GetCurrentProcess().Threads.Count;
            Assert.Equal("OK", (await pipelined.ReadAsync()).AsString());
            for (var i = 0; i < 2000; i++) Assert.Equal("v1", (await pipelined.ReadAsync()).AsString());
            foreach (var a in answers) Assert.Equal("v1", (await a).AsString());
            foreach (var c in others) await c.DisposeAsync();
            output.WriteLine($"threads before {threadsBefore}, while 2050 reads waited {threadsWaiting}");
            Assert.True(threadsWaiting - threadsBefore < 40, $"waiting reads took threads: {threadsBefore} -> {threadsWaiting}");
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task Bounded_staleness_is_served_within_the_bound_and_refused_past_it_with_sub_second_bounds()
    {
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1", r => r with { ApplyDelay = TimeSpan.FromSeconds(1) });
            var r2 = await cluster.StartAsync("r2");
            await Wait.Until(() => p.GetStatus().Replicas.All(r => r.State == "streaming"), "both replicas streaming");
            await using var primary = await Connect(p);
            await using var onR1 = await Connect(r1);
            await using var onR2 = await Connect(r2);
            Assert.Equal("OK", (await onR1.ExecuteAsync(default, "CONSISTENCY", "bounded-staleness", "300ms")).AsString());
            Assert.Equal("OK", (await onR2.ExecuteAsync(default, "CONSISTENCY", "bounded-staleness", "300ms")).AsString());

            // r1 first applies what exists (the generation's first record), so it has a freshness to report.
            await Wait.Until(() => r1.Applier.AppliedLsn >= p.Applier.AppliedLsn, "r1 to apply the primary's first record");
            Assert.Equal("OK", (await primary.ExecuteAsync(default, "SET", "k", "1")).AsString());
            // Within 300 ms of the write the old value is still allowed; past that the delayed replica refuses until
            // it applies the write (1 s after it).
            var refused = await Testing.Waits.Eventually.WaitAsync(async () => await onR1.ExecuteAsync(default, "GET", "k"),
                r => r.IsError, TimeSpan.FromSeconds(10), "r1 to refuse once the write is older than the bound");
            Assert.Matches(@"^TRYAGAIN bounded-staleness: r1 is \d+ ms behind the primary, over the 300 ms bound; " +
                           System.Text.RegularExpressions.Regex.Escape(PrimaryText(p)) + "$", refused.Text);
            // The prompt replica is within the bound once it applied the write (it answers it, never older).
            await Wait.Until(() => r2.Applier.AppliedLsn >= p.Applier.AppliedLsn, "r2 to apply the write");
            Assert.Equal("1", (await onR2.ExecuteAsync(default, "GET", "k")).AsString());
            // After applying, an idle delayed replica is fresh again through the primary's heartbeats.
            await Testing.Waits.Eventually.WaitAsync(async () => (await onR1.ExecuteAsync(default, "GET", "k")).AsString(),
                v => v == "1", TimeSpan.FromSeconds(10), "r1 to serve the bounded-staleness read once caught up");
            // The primary always serves it.
            Assert.Equal("OK", (await primary.ExecuteAsync(default, "CONSISTENCY", "bounded-staleness", "1ms")).AsString());
            Assert.Equal("1", (await primary.ExecuteAsync(default, "GET", "k")).AsString());
        });
    }

    [Fact(Timeout = 90_000)]
    public async Task Bounded_staleness_is_never_violated_under_writes_checked_against_the_history()
    {
        var seed = TestSeed.Pick(output);
        var random = new Random(seed);
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1", r => r with { ApplyDelay = TimeSpan.FromMilliseconds(150 + random.Next(100)) });
            var r2 = await cluster.StartAsync("r2");
            await Wait.Until(() => p.GetStatus().Replicas.All(r => r.State == "streaming"), "both replicas streaming");

            // One writer: SET k i with i = 1, 2, 3...; acked[i] = when the write was acknowledged.
            var acked = new List<(long Value, DateTimeOffset At)>();
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(4));
            var writer = Task.Run(async () =>
            {
                await using var c = await Connect(p);
                for (long i = 1; !stop.IsCancellationRequested; i++)
                {
                    Assert.Equal("OK", (await c.ExecuteAsync(default, "SET", "k", i.ToString())).AsString());
                    lock (acked) acked.Add((i, DateTimeOffset.UtcNow));
                    await Task.Delay(random.Next(1, 5));
                }
            });
            var bounds = new[] { TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400) };
            var reads = new List<(string Node, TimeSpan Bound, DateTimeOffset Start, RespValue Reply)>();
            async Task Reader(NodeHost node, TimeSpan bound)
            {
                await using var c = await Connect(node);
                Assert.Equal("OK", (await c.ExecuteAsync(default, "CONSISTENCY", "bounded-staleness", $"{bound.TotalMilliseconds}ms")).AsString());
                while (!stop.IsCancellationRequested)
                {
                    var start = DateTimeOffset.UtcNow;
                    var reply = await c.ExecuteAsync(default, "GET", "k");
                    lock (reads) reads.Add((node.NodeId.Value, bound, start, reply));
                }
            }
            await Task.WhenAll(writer, Reader(r1, bounds[0]), Reader(r1, bounds[1]), Reader(r2, bounds[0]), Reader(r2, bounds[1]));

            var violations = new List<string>();
            foreach (var (node, bound, start, reply) in reads)
            {
                if (reply.IsError)
                {
                    Assert.StartsWith($"TRYAGAIN bounded-staleness: {node} ", reply.Text);
                    continue;
                }
                var seen = reply.AsString() is { } s ? long.Parse(s) : 0;
                var required = acked.Where(a => a.At <= start - bound).Select(a => a.Value).DefaultIfEmpty(0).Max();
                if (seen < required) violations.Add($"{node} bound {bound.TotalMilliseconds} ms, read started {start:O}: saw {seen}, but {required} was acknowledged before start - bound");
            }
            string Count(string node, int bound, bool error) =>
                reads.Count(r => r.Node == node && (int)r.Bound.TotalMilliseconds == bound && r.Reply.IsError == error).ToString();
            output.WriteLine($"seed {seed}; {acked.Count} writes; served/refused: r1 100ms {Count("r1", 100, false)}/{Count("r1", 100, true)}, " +
                             $"r1 400ms {Count("r1", 400, false)}/{Count("r1", 400, true)}, r2 100ms {Count("r2", 100, false)}/{Count("r2", 100, true)}, " +
                             $"r2 400ms {Count("r2", 400, false)}/{Count("r2", 400, true)}");
            Assert.True(violations.Count == 0, $"seed {seed}: " + string.Join("\n", violations.Take(10)));
            Assert.Contains(reads, r => r.Node == "r1" && r.Bound == bounds[1] && !r.Reply.IsError);  // the delay is within 400 ms
            Assert.Contains(reads, r => r.Node == "r1" && r.Bound == bounds[0] && r.Reply.IsError);   // and past 100 ms
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task Linearizable_reads_are_served_by_the_primary_after_a_majority_confirms_and_refused_elsewhere()
    {
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            Reads(cluster, "p", new ReadOptions { LeadershipTimeout = TimeSpan.FromSeconds(2) });
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            await cluster.StartAsync("r2");
            await Wait.Until(() => p.GetStatus().Replicas.All(r => r.State == "streaming"), "both replicas streaming");
            await using var primary = await Connect(p);
            Assert.Equal("OK", (await primary.ExecuteAsync(default, "SET", "k", "v")).AsString());
            Assert.Equal("OK", (await primary.ExecuteAsync(default, "CONSISTENCY", "linearizable")).AsString());
            Assert.Equal("v", (await primary.ExecuteAsync(default, "GET", "k")).AsString());
            // Pipelined linearizable reads: each is confirmed, in order.
            for (var i = 0; i < 100; i++) primary.Append(["GET", "k"]);
            await primary.FlushAsync();
            for (var i = 0; i < 100; i++) Assert.Equal("v", (await primary.ReadAsync()).AsString());

            await using var onR1 = await Connect(r1);
            Assert.Equal("OK", (await onR1.ExecuteAsync(default, "CONSISTENCY", "linearizable")).AsString());
            Assert.Equal($"TRYAGAIN linearizable: r1 is not the primary, and linearizable reads are served by the primary only; {PrimaryText(p)}",
                (await onR1.ExecuteAsync(default, "GET", "k")).Text);

            // One replica down: p and r2 are still a majority.
            await cluster.StopAsync("r1");
            Assert.Equal("v", (await primary.ExecuteAsync(default, "GET", "k")).AsString());
            // Both down: p cannot show it is still primary, so it refuses rather than risk a stale answer.
            await cluster.StopAsync("r2");
            await Wait.Until(() => p.GetStatus().Replicas.All(r => r.State != "streaming"), "the links to end");
            Assert.Equal($"TRYAGAIN linearizable: p could not confirm with a majority that it is still the primary within 2000 ms; {PrimaryText(p)}",
                (await primary.ExecuteAsync(default, "GET", "k")).Text);
            Assert.Equal("OK", (await primary.ExecuteAsync(default, "CONSISTENCY", "eventual")).AsString());
            Assert.Equal("v", (await primary.ExecuteAsync(default, "GET", "k")).AsString());
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task Linearizable_reads_are_confirmed_by_a_majority_of_the_voting_members_not_by_non_voting_replicas()
    {
        await Task.Yield();
        // Three voters (p, r1, r2) and two non-voting replicas (n1, n2). With r1 and r2 gone, p and the two non-voters
        // are three of five members but one of three voters: a majority of voters may have elected another primary,
        // so p must not confirm its leadership from the non-voters' answers.
        await using var cluster = new InProcessCluster("p", "r1", "r2", "n1", "n2") { NonVoting = new HashSet<string> { "n1", "n2" } };
        await cluster.RunAsync(output, async () =>
        {
            Reads(cluster, "p", new ReadOptions { LeadershipTimeout = TimeSpan.FromSeconds(1) });
            var p = await cluster.StartAsync("p");
            await cluster.StartAsync("r1");
            await cluster.StartAsync("n1");
            await cluster.StartAsync("n2");
            await Wait.Until(() => p.GetStatus().Replicas.Count(r => r.State == "streaming") == 3, "r1, n1 and n2 streaming");
            await using var primary = await Connect(p);
            Assert.Equal("OK", (await primary.ExecuteAsync(default, "SET", "k", "v")).AsString());
            Assert.Equal("OK", (await primary.ExecuteAsync(default, "CONSISTENCY", "linearizable")).AsString());
            Assert.Equal("v", (await primary.ExecuteAsync(default, "GET", "k")).AsString()); // p and r1: two of three voters

            await cluster.StopAsync("r1");
            await Wait.Until(() => p.GetStatus().Replicas.Count(r => r.State == "streaming") == 2, "only n1 and n2 streaming");
            Assert.Equal($"TRYAGAIN linearizable: p could not confirm with a majority that it is still the primary within 1000 ms; {PrimaryText(p)}",
                (await primary.ExecuteAsync(default, "GET", "k")).Text);
        });
    }

    [Fact(Timeout = 90_000)]
    public async Task A_promoted_primary_answers_a_linearizable_read_only_after_applying_the_log_it_inherited()
    {
        await Task.Yield();
        // r1 flushes at once but applies 8 s late. p acknowledges k=v at quorum, stops, and r1 is promoted with the
        // write in its log but not yet in its state: a linearizable read on r1 must not answer from that state.
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            Reads(cluster, "r1", new ReadOptions { LeadershipTimeout = TimeSpan.FromSeconds(30) });
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1", r => r with { ApplyDelay = TimeSpan.FromSeconds(8) });
            var r2 = await cluster.StartAsync("r2");
            await Wait.Until(() => p.GetStatus().Replicas.All(r => r.State == "streaming"), "both replicas streaming");
            await using (var primary = await Connect(p))
                Assert.Equal("OK", (await primary.ExecuteAsync(default, "SET", "k", "v")).AsString());
            var end = p.GetStatus().FlushedLsn;
            await Wait.Until(() => r1.GetStatus().FlushedLsn >= end, "r1 to flush the write");
            await cluster.StopAsync("p");

            await r1.Coordinator.PromoteAsync("test: p is down", default);
            await r2.Coordinator.FollowAsync("r1", r1.Coordinator.Generation, "test: r1 was promoted", default);
            await Wait.Until(() => r1.GetStatus().Replicas.Any(r => r.State == "streaming"), "r2 streaming from r1");
            Assert.True(r1.Applier.AppliedLsn.Value < end, "r1 applied the write already: the test proves nothing");

            await using var onR1 = await Connect(r1);
            Assert.Equal("OK", (await onR1.ExecuteAsync(default, "CONSISTENCY", "linearizable")).AsString());
            var reply = await onR1.ExecuteAsync(default, "GET", "k");
            Assert.True(reply.Text is null, $"refused: {reply.Text}");
            Assert.Equal("v", reply.AsString());
        });
    }

    [Fact(Timeout = 90_000)]
    public async Task A_promoted_primary_serves_bounded_staleness_reads_only_within_the_bound_while_it_applies_the_log_it_inherited()
    {
        await Task.Yield();
        // As above: r1 is promoted with k=v (acknowledged at quorum) flushed but applied 8 s late. A primary serves
        // bounded-staleness reads at once only because its state is current; r1's is not, by more than the bound.
        await using var cluster = new InProcessCluster("p", "r1", "r2");
        await cluster.RunAsync(output, async () =>
        {
            var bound = TimeSpan.FromMilliseconds(200);
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1", r => r with { ApplyDelay = TimeSpan.FromSeconds(8) });
            await cluster.StartAsync("r2");
            await Wait.Until(() => p.GetStatus().Replicas.All(r => r.State == "streaming"), "both replicas streaming");
            await using (var primary = await Connect(p))
                Assert.Equal("OK", (await primary.ExecuteAsync(default, "SET", "k", "v")).AsString());
            var acknowledged = DateTimeOffset.UtcNow; // k=v was committed before this moment
            var end = p.GetStatus().FlushedLsn;
            await Wait.Until(() => r1.GetStatus().FlushedLsn >= end, "r1 to flush the write");
            await cluster.StopAsync("p");
            await r1.Coordinator.PromoteAsync("test: p is down", default);
            Assert.True(r1.AcceptsWrites);
            await Wait.Until(() => DateTimeOffset.UtcNow - acknowledged > bound * 2, "the write to be older than the bound");
            Assert.True(r1.Applier.AppliedLsn.Value < end, "r1 applied the write already: the test proves nothing");

            await using var onR1 = await Connect(r1);
            Assert.Equal("OK", (await onR1.ExecuteAsync(default, "CONSISTENCY", "bounded-staleness", "200ms")).AsString());
            var reply = await onR1.ExecuteAsync(default, "GET", "k");
            output.WriteLine($"reply: {reply.Text ?? reply.AsString() ?? "(nil)"}");
            Assert.True(reply.IsError || reply.AsString() == "v",
                $"a read more than {bound.TotalMilliseconds} ms stale was served: nil, though k=v was acknowledged {(DateTimeOffset.UtcNow - acknowledged).TotalMilliseconds:0} ms ago");
        });
    }
}
