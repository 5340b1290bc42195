using AkkaRepl.Testing.Checkers;
using AkkaRepl.Testing.Fakes;
using AkkaRepl.Testing.Histories;
using AkkaRepl.Testing.Resp;
using AkkaRepl.Testing.Specs;
using Xunit.Abstractions;

namespace AkkaRepl.Testing.Tests.Histories;

public sealed class WorkloadRunnerTests(ITestOutputHelper output)
{
    [Fact(Timeout = 30_000)]
    public async Task A_healthy_node_passes_both_checkers()
    {
        var seed = TestSeed.Pick(output, 20261123);
        await using var node = FakeNode.Start();
        var operations = Soak.Choose(400, 20_000);
        var runner = new WorkloadRunner(
            new WorkloadOptions { Seed = seed, Clients = 4, MaxOperations = operations, MaxDuration = Soak.Choose(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)) },
            node.ConnectAsync);

        using var recorder = new HistoryRecorder();
        var run = await runner.RunAsync(recorder);
        output.WriteLine(run.ToString());

        var ops = run.History.Operations;
        Assert.Equal(operations, ops.Count);
        Assert.All(Enum.GetValues<OperationType>(), t => Assert.Contains(ops, o => o.Type == t && o.Outcome == Outcome.Ok));
        Assert.Contains(ops, o => o.Type == OperationType.Cas && o.Result == "true");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var linearizability = new LinearizabilityChecker().Check(run.History);
        output.WriteLine($"linearizability checked in {clock.ElapsedMilliseconds} ms: {linearizability}");
        Assert.True(linearizability.IsLinearizable, $"seed {seed}: {linearizability}");
        await using var reader = await node.ConnectAsync(0, CancellationToken.None);
        var overResp = await FinalState.ReadAsync(reader, run.History);
        Assert.Equal(node.Store.Snapshot().OrderBy(kv => kv.Key), overResp.Where(kv => kv.Value is not null).OrderBy(kv => kv.Key));
        var acknowledged = new AcknowledgedWriteChecker().Check(run.History,
            new Dictionary<string, IReadOnlyDictionary<string, string?>> { ["fake"] = overResp });
        Assert.True(acknowledged.Passed, $"seed {seed}: {acknowledged}");
    }

    [Fact(Timeout = 30_000)]
    public async Task One_client_with_one_seed_issues_the_same_operations_every_run()
    {
        const int seed = 5;
        async Task<string[]> RunOnce()
        {
            await using var node = FakeNode.Start();
            using var recorder = new HistoryRecorder();
            var run = await new WorkloadRunner(new WorkloadOptions { Seed = seed, Clients = 1, MaxOperations = 60 }, node.ConnectAsync).RunAsync(recorder);
            return run.History.Operations.Select(o => $"{o.Type} {o.Key} {o.Value} {o.Expected} {o.Result}").ToArray();
        }

        Assert.Equal(await RunOnce(), await RunOnce());
    }

    [Fact(Timeout = 30_000)]
    public async Task A_timed_out_operation_is_unknown_and_its_client_continues_as_a_new_process()
    {
        const int seed = 9;
        var store = new FakeKvStore();
        // SET never answers: every write times out.
        await using var server = FakeRespServer.Start((session, command) =>
            command[0] == "SET" ? ValueTask.FromResult<RespValue?>(null) : store.HandleAsync(session, command));
        var options = new WorkloadOptions
        {
            Seed = seed, Clients = 2, MaxOperations = 30, OperationTimeout = TimeSpan.FromMilliseconds(100),
            WriteWeight = 1, ReadWeight = 1, CasWeight = 0, IncrementWeight = 0, CounterKeys = 0,
        };
        var runner = new WorkloadRunner(options, async (_, ct) => new RespKvClient(await RespClient.ConnectAsync(server.Port, ct: ct)));

        using var recorder = new HistoryRecorder();
        var run = await runner.RunAsync(recorder);

        var writes = run.History.Operations.Where(o => o.Type == OperationType.Write).ToArray();
        Assert.NotEmpty(writes);
        Assert.All(writes, w => Assert.Equal(Outcome.Unknown, w.Outcome));
        Assert.All(writes, w => Assert.Null(w.CompletedAt));
        Assert.True(run.History.Operations.Select(o => o.Process).Distinct().Count() > 2, $"seed {seed}: no new process ids");
        Assert.True(new LinearizabilityChecker().Check(run.History).IsLinearizable, $"seed {seed}");
    }

    [Fact(Timeout = 30_000)]
    public async Task An_error_reply_to_a_write_is_unknown_unless_it_is_known_to_change_nothing()
    {
        const int seed = 3;
        var store = new FakeKvStore();
        var calls = 0;
        await using var server = FakeRespServer.Start((session, command) => command[0] != "SET"
            ? store.HandleAsync(session, command)
            : ValueTask.FromResult<RespValue?>(Interlocked.Increment(ref calls) % 2 == 0
                ? RespValue.Error("READONLY You can't write against a read only replica.")
                : RespValue.Error("NOQUORUM durability not reached")));
        var options = new WorkloadOptions { Seed = seed, Clients = 1, MaxOperations = 20, ReadWeight = 0, CasWeight = 0, IncrementWeight = 0, CounterKeys = 0 };

        using var recorder = new HistoryRecorder();
        var run = await new WorkloadRunner(options, async (_, ct) => new RespKvClient(await RespClient.ConnectAsync(server.Port, ct: ct))).RunAsync(recorder);

        Assert.Contains(run.History.Operations, o => o.Outcome == Outcome.Fail && o.Error!.StartsWith("READONLY", StringComparison.Ordinal));
        Assert.Contains(run.History.Operations, o => o.Outcome == Outcome.Unknown && o.Error!.StartsWith("NOQUORUM", StringComparison.Ordinal));
    }

    [Fact(Timeout = 30_000)]
    public async Task Unanswered_writes_that_did_or_did_not_apply_are_no_false_alarm()
    {
        var seed = TestSeed.Pick(output, 77);
        var store = new FakeKvStore();
        var random = new Random(seed);
        // Seeded: some writes apply but get no reply, some neither apply nor reply; both end Unknown.
        await using var server = FakeRespServer.Start(async (session, command) =>
        {
            if (command[0] is not ("SET" or "INCR") || session.Items.ContainsKey("queue"))
                return await store.HandleAsync(session, command);
            int roll;
            lock (random)
                roll = random.Next(20);
            if (roll == 0)
                return null;
            var reply = await store.HandleAsync(session, command);
            return roll == 1 ? null : reply;
        });
        var options = new WorkloadOptions { Seed = seed, Clients = 4, MaxOperations = 300, OperationTimeout = TimeSpan.FromMilliseconds(100) };

        using var recorder = new HistoryRecorder();
        var run = await new WorkloadRunner(options, async (_, ct) => new RespKvClient(await RespClient.ConnectAsync(server.Port, ct: ct))).RunAsync(recorder);

        Assert.Contains(run.History.Operations, o => o.Outcome == Outcome.Unknown);
        var linearizability = new LinearizabilityChecker().Check(run.History);
        Assert.True(linearizability.Verdict != LinearizabilityVerdict.NotLinearizable, $"seed {seed}: {run}\n{linearizability}");
        var final = new Dictionary<string, IReadOnlyDictionary<string, string?>> { ["fake"] = store.Snapshot() };
        var acknowledged = new AcknowledgedWriteChecker().Check(run.History, final);
        Assert.True(acknowledged.Passed, $"seed {seed}: {acknowledged}");
    }
}
