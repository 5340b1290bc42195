using AkkaRepl.Core.Components;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Benchmarks;

/// <summary>
/// Component mailbox throughput: one producer tells <see cref="Messages"/> ints to a component whose handler only
/// counts; the operation ends when the last one is handled. Per-operation figures are per message.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class MailboxBenchmarks
{
    public const int Messages = 100_000;

    private Counter _counter = null!;

    [Params(64, 4096)]
    public int Capacity { get; set; }

    [IterationSetup]
    public void Setup()
    {
        _counter = new Counter(new ComponentOptions(Capacity));
        _counter.Start();
    }

    [IterationCleanup]
    public void Cleanup() => _counter.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Messages)]
    public async Task TellAsync()
    {
        _counter.Expect(Messages);
        for (int i = 0; i < Messages; i++) await _counter.TellAsync(i).ConfigureAwait(false);
        await _counter.Done.ConfigureAwait(false);
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public async Task TryTellThenTellAsync()
    {
        _counter.Expect(Messages);
        for (int i = 0; i < Messages; i++)
            if (!_counter.TryTell(i)) await _counter.TellAsync(i).ConfigureAwait(false);
        await _counter.Done.ConfigureAwait(false);
    }

    private sealed class Counter(ComponentOptions options)
        : Component<int>("counter", options, SupervisionStrategy.EscalateAlways, NullLogger.Instance)
    {
        private long _left;
        private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Done => _done.Task;

        public void Expect(long count)
        {
            _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _left, count);
        }

        protected override ValueTask HandleAsync(int message, CancellationToken ct)
        {
            if (--_left == 0) _done.TrySetResult();
            return ValueTask.CompletedTask;
        }
    }
}
