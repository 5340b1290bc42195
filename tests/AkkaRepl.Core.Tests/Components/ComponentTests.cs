using System.Collections.Concurrent;
using AkkaRepl.Core.Components;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Core.Tests.Components;

public sealed class ComponentTests
{
    private abstract record Msg;
    private sealed record Work(int N) : Msg;
    private sealed record Boom(string Why) : Msg;
    private sealed record Gate(TaskCompletionSource Entered, TaskCompletionSource Release) : Msg;
    private sealed record Ask(TaskCompletionSource<int> Reply) : Msg, IReplyable
    {
        public void Fail(Exception error) => Reply.TrySetException(error);
    }
    private sealed record AskBoom(TaskCompletionSource<int> Reply) : Msg, IReplyable
    {
        public void Fail(Exception error) => Reply.TrySetException(error);
    }

    /// <summary>Records what it handled; "durable state" is a counter that survives restarts.</summary>
    private sealed class Recorder(ComponentOptions options, SupervisionStrategy strategy)
        : Component<Msg>("recorder", options, strategy, NullLogger.Instance)
    {
        public readonly ConcurrentQueue<int> Handled = new();
        public int Starts;
        public int Durable; // written only by the loop

        protected override ValueTask OnStartAsync(CancellationToken ct)
        {
            Interlocked.Increment(ref Starts);
            return ValueTask.CompletedTask;
        }

        protected override async ValueTask HandleAsync(Msg message, CancellationToken ct)
        {
            switch (message)
            {
                case Work w: Handled.Enqueue(w.N); Durable++; break;
                case Boom b: throw new InvalidOperationException(b.Why);
                case Gate g: g.Entered.SetResult(); await g.Release.Task; break;
                case Ask a: a.Reply.SetResult(Durable); break;
                case AskBoom: throw new InvalidOperationException("ask failed");
            }
        }
    }

    [Fact(Timeout = 10_000)]
    public async Task Messages_are_handled_in_the_order_they_were_told()
    {
        await using var c = new Recorder(ComponentOptions.Default, SupervisionStrategy.EscalateAlways);
        c.Start();
        for (var i = 0; i < 1000; i++) await c.TellAsync(new Work(i));
        var reply = new TaskCompletionSource<int>();
        await c.TellAsync(new Ask(reply));
        Assert.Equal(1000, await reply.Task);
        Assert.Equal(Enumerable.Range(0, 1000), c.Handled);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_full_mailbox_makes_the_sender_wait_until_the_loop_takes_a_message()
    {
        await using var c = new Recorder(new ComponentOptions(MailboxCapacity: 2, ControlCapacity: 1), SupervisionStrategy.EscalateAlways);
        c.Start();
        var gate = new Gate(new TaskCompletionSource(), new TaskCompletionSource());
        await c.TellAsync(gate);
        await gate.Entered.Task; // the loop is busy; the mailbox is now empty
        await c.TellAsync(new Work(1));
        await c.TellAsync(new Work(2)); // mailbox full
        Assert.False(c.TryTell(new Work(3)));
        var blocked = c.TellAsync(new Work(3)).AsTask();
        Assert.False(blocked.IsCompleted);
        gate.Release.SetResult();
        await blocked; // completes only once the loop made room
        var reply = new TaskCompletionSource<int>();
        await c.TellAsync(new Ask(reply));
        Assert.Equal(3, await reply.Task);
        Assert.Equal(new[] { 1, 2, 3 }, c.Handled);
    }

    [Fact(Timeout = 10_000)]
    public async Task Control_messages_overtake_queued_bulk_messages()
    {
        await using var c = new Recorder(ComponentOptions.Default, SupervisionStrategy.EscalateAlways);
        c.Start();
        var gate = new Gate(new TaskCompletionSource(), new TaskCompletionSource());
        await c.TellAsync(gate);
        await gate.Entered.Task;
        for (var i = 0; i < 10; i++) await c.TellAsync(new Work(i));
        await c.TellControlAsync(new Work(-1));
        gate.Release.SetResult();
        var reply = new TaskCompletionSource<int>();
        await c.TellAsync(new Ask(reply));
        await reply.Task;
        Assert.Equal(-1, c.Handled.First());
    }

    [Fact(Timeout = 10_000)]
    public async Task A_failing_handler_restarts_from_durable_state_and_fails_the_waiting_caller()
    {
        await using var c = new Recorder(ComponentOptions.Default, SupervisionStrategy.RestartFromDurableState);
        c.Start();
        await c.TellAsync(new Work(1));
        var failed = new TaskCompletionSource<int>();
        await c.TellAsync(new AskBoom(failed));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => failed.Task);
        Assert.Equal("ask failed", error.Message);
        await c.TellAsync(new Work(2));
        var reply = new TaskCompletionSource<int>();
        await c.TellAsync(new Ask(reply));
        Assert.Equal(2, await reply.Task); // state kept, loop alive
        Assert.Equal(2, c.Starts);          // initial start + one restart
        Assert.Equal(1, c.RestartCount);
    }

    [Fact(Timeout = 10_000)]
    public async Task Escalated_failure_faults_completion_raises_Failed_and_fails_queued_callers()
    {
        var c = new Recorder(ComponentOptions.Default, SupervisionStrategy.EscalateAlways);
        ComponentFailedException? raised = null;
        c.Failed += e => raised = e;
        var gate = new Gate(new TaskCompletionSource(), new TaskCompletionSource());
        c.Start();
        await c.TellAsync(gate);
        await gate.Entered.Task;
        await c.TellAsync(new Boom("disk on fire"));
        var queued = new TaskCompletionSource<int>();
        await c.TellAsync(new Ask(queued));
        gate.Release.SetResult();

        var failure = await Assert.ThrowsAsync<ComponentFailedException>(() => c.Completion);
        Assert.Equal("component 'recorder' failed and stopped: disk on fire", failure.Message);
        Assert.Same(failure, raised);
        await Assert.ThrowsAsync<ComponentFailedException>(() => queued.Task); // never left waiting
        Assert.False(c.TryTell(new Work(9)));
        await c.DisposeAsync();
    }

    [Fact(Timeout = 10_000)]
    public async Task Failed_handlers_have_run_before_Completion_faults()
    {
        await Task.Yield();
        var c = new Recorder(ComponentOptions.Default, SupervisionStrategy.EscalateAlways);
        bool? completedWhenRaised = null;
        c.Failed += _ => completedWhenRaised = c.Completion.IsCompleted;
        c.Start();
        await c.TellAsync(new Boom("disk on fire"));

        await Assert.ThrowsAsync<ComponentFailedException>(() => c.Completion);
        // Completion faulting is what a waiter sees; the handlers ran before it, not in a race with the waiter.
        Assert.False(completedWhenRaised);
        await c.DisposeAsync();
    }

    [Fact(Timeout = 10_000)]
    public async Task A_Failed_handler_that_throws_keeps_neither_later_handlers_nor_Completion_from_running()
    {
        await Task.Yield();
        var c = new Recorder(ComponentOptions.Default, SupervisionStrategy.EscalateAlways);
        var later = 0;
        c.Failed += _ => throw new InvalidOperationException("handler broke");
        c.Failed += _ => later++; // runs even so: each handler is called on its own
        c.Start();
        await c.TellAsync(new Boom("disk on fire"));

        var failure = await Assert.ThrowsAsync<ComponentFailedException>(() => c.Completion);
        Assert.Equal("component 'recorder' failed and stopped: disk on fire", failure.Message);
        Assert.Equal(1, later);
        await c.DisposeAsync();
    }

    [Fact(Timeout = 10_000)]
    public async Task Restarts_beyond_the_budget_escalate()
    {
        var strategy = new SupervisionStrategy(_ => SupervisionDirective.Restart, MaxRestarts: 2, Window: TimeSpan.FromHours(1));
        var c = new Recorder(ComponentOptions.Default, strategy);
        c.Start();
        for (var i = 0; i < 3; i++) await c.TellAsync(new Boom("again " + i));
        var failure = await Assert.ThrowsAsync<ComponentFailedException>(() => c.Completion);
        Assert.Contains("again 2", failure.Message);
        Assert.Equal(2, c.RestartCount);
        await c.DisposeAsync();
    }

    [Fact(Timeout = 10_000)]
    public async Task Stop_handles_everything_already_queued()
    {
        var c = new Recorder(ComponentOptions.Default, SupervisionStrategy.EscalateAlways);
        c.Start();
        for (var i = 0; i < 100; i++) await c.TellAsync(new Work(i));
        await c.StopAsync();
        Assert.Equal(100, c.Handled.Count);
        Assert.True(c.Completion.IsCompletedSuccessfully);
    }
}
