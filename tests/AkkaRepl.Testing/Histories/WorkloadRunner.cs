using System.Diagnostics;
using System.Globalization;
using AkkaRepl.Testing.Resp;

namespace AkkaRepl.Testing.Histories;

/// <summary>
/// Drives concurrent clients with a seeded mix of writes, reads, increments and compare-and-sets and records every
/// operation. Every written value is unique ("process-sequence"), which the checkers rely on. A client whose operation
/// ends Unknown reconnects and continues as a new process id, because the old operation may still be in flight.
/// </summary>
public sealed class WorkloadRunner
{
    private readonly WorkloadOptions _options;
    private readonly Func<int, CancellationToken, Task<IKvClient>> _connect;

    /// <param name="options">The run's shape and seed.</param>
    /// <param name="connect">Opens a client for client index i (0-based); called again after a broken connection.</param>
    public WorkloadRunner(WorkloadOptions options, Func<int, CancellationToken, Task<IKvClient>> connect)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Clients < 1 || options.RegisterKeys < 0 || options.CounterKeys < 0 || options.RegisterKeys + options.CounterKeys == 0)
            throw new ArgumentException("A workload needs at least one client and one key.", nameof(options));
        if (options.CounterKeys == 0 && options.IncrementWeight > 0 && options.WriteWeight + options.ReadWeight + options.CasWeight == 0)
            throw new ArgumentException("Increments need counter keys.", nameof(options));
        _options = options;
        _connect = connect;
    }

    /// <summary>Runs until the operation or time bound is reached (or <paramref name="ct"/>), recording into <paramref name="recorder"/>.</summary>
    public async Task<WorkloadResult> RunAsync(HistoryRecorder recorder, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(_options.MaxDuration);
        var budget = new Budget(_options.MaxOperations);
        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, _options.Clients).Select(i => Task.Run(async () =>
        {
            var failed = await RunClientAsync(i, recorder, budget, stop.Token).ConfigureAwait(false);
            Interlocked.Add(ref failures, failed);
        }, CancellationToken.None))).ConfigureAwait(false);
        return new WorkloadResult(_options.Seed, recorder.ToHistory(), clock.Elapsed, failures);
    }

    private async Task<int> RunClientAsync(int index, HistoryRecorder recorder, Budget budget, CancellationToken stop)
    {
        var random = new Random(unchecked(_options.Seed * 7919 + index));
        var process = index;
        var sequence = 0;
        var lastSeen = new Dictionary<string, string?>();
        var connectFailures = 0;
        IKvClient? client = null;
        try
        {
            while (!stop.IsCancellationRequested && budget.TryTake())
            {
                if (client is null)
                {
                    try
                    {
                        client = await _connect(index, stop).ConfigureAwait(false);
                    }
                    catch (Exception)
                    {
                        if (stop.IsCancellationRequested)
                            break;
                        connectFailures++;
                        budget.Return();
                        // Retry backoff while the node is unreachable; the run's time bound ends it.
                        await Task.Delay(Math.Min(20 * connectFailures, 200), stop).ConfigureAwait(false);
                        continue;
                    }
                }
                var operation = NextOperation(random, process, ref sequence, lastSeen);
                var done = await ExecuteAsync(client, operation, recorder, stop).ConfigureAwait(false);
                if (done.Outcome == Outcome.Ok)
                    Remember(done, lastSeen);
                if (done.Outcome == Outcome.Unknown)
                {
                    await client.DisposeAsync().ConfigureAwait(false);
                    client = null;
                    process += _options.Clients;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            if (client is not null)
                await client.DisposeAsync().ConfigureAwait(false);
        }
        return connectFailures;
    }

    private Operation NextOperation(Random random, int process, ref int sequence, Dictionary<string, string?> lastSeen)
    {
        var weights = new[]
        {
            _options.RegisterKeys > 0 ? _options.WriteWeight : 0,
            _options.ReadWeight,
            _options.CounterKeys > 0 ? _options.IncrementWeight : 0,
            _options.RegisterKeys > 0 ? _options.CasWeight : 0,
        };
        var pick = random.Next(weights.Sum());
        var type = OperationType.Write;
        for (var i = 0; i < weights.Length; i++)
        {
            if (pick < weights[i])
            {
                type = (OperationType)i;
                break;
            }
            pick -= weights[i];
        }
        string RegisterKey() => "r" + random.Next(_options.RegisterKeys).ToString(CultureInfo.InvariantCulture);
        string CounterKey() => "c" + random.Next(_options.CounterKeys).ToString(CultureInfo.InvariantCulture);
        var value = $"{process}-{sequence++}";
        return type switch
        {
            OperationType.Write => Invocation(process, type, RegisterKey(), value, null),
            OperationType.Increment => Invocation(process, type, CounterKey(), null, null),
            OperationType.Read => Invocation(process, type,
                _options.CounterKeys > 0 && (_options.RegisterKeys == 0 || random.Next(4) == 0) ? CounterKey() : RegisterKey(), null, null),
            _ => CasInvocation(RegisterKey()),
        };

        Operation CasInvocation(string key) =>
            Invocation(process, OperationType.Cas, key, value, lastSeen.TryGetValue(key, out var seen) ? seen : null);
    }

    private static Operation Invocation(int process, OperationType type, string key, string? value, string? expected) =>
        new(0, process, type, key, value, expected, 0, null, Outcome.Unknown, null);

    private async Task<Operation> ExecuteAsync(IKvClient client, Operation operation, HistoryRecorder recorder, CancellationToken stop)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(_options.OperationTimeout);
        var invoked = recorder.Now;
        Operation Done(Outcome outcome, string? result, string? error = null) =>
            recorder.Record(operation with
            {
                InvokedAt = invoked,
                CompletedAt = outcome == Outcome.Unknown ? null : recorder.Now,
                Outcome = outcome,
                Result = result,
                Error = error,
            });
        try
        {
            switch (operation.Type)
            {
                case OperationType.Write:
                    await client.SetAsync(operation.Key, operation.Value!, timeout.Token).ConfigureAwait(false);
                    return Done(Outcome.Ok, null);
                case OperationType.Read:
                    return Done(Outcome.Ok, await client.GetAsync(operation.Key, timeout.Token).ConfigureAwait(false));
                case OperationType.Increment:
                    var next = await client.IncrementAsync(operation.Key, timeout.Token).ConfigureAwait(false);
                    return Done(Outcome.Ok, next.ToString(CultureInfo.InvariantCulture));
                default:
                    var swapped = await client.CompareAndSetAsync(operation.Key, operation.Expected, operation.Value!, timeout.Token).ConfigureAwait(false);
                    return swapped is null
                        ? Done(Outcome.Fail, null, "transaction aborted by a concurrent change")
                        : Done(Outcome.Ok, swapped.Value ? "true" : "false");
            }
        }
        catch (RespErrorException e)
        {
            // A read changes nothing, so any error is a definite failure; a write's depends on the error.
            var definite = operation.Type == OperationType.Read || _options.IsDefiniteFailure(e.Error);
            return Done(definite ? Outcome.Fail : Outcome.Unknown, null, e.Error);
        }
        catch (Exception e) when (e is TimeoutException or IOException or OperationCanceledException or System.Net.Sockets.SocketException or RespProtocolException)
        {
            return Done(Outcome.Unknown, null, e is OperationCanceledException ? "timed out" : $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static void Remember(Operation done, Dictionary<string, string?> lastSeen)
    {
        switch (done.Type)
        {
            case OperationType.Write:
                lastSeen[done.Key] = done.Value;
                break;
            case OperationType.Read:
                lastSeen[done.Key] = done.Result;
                break;
            case OperationType.Cas when done.Result == "true":
                lastSeen[done.Key] = done.Value;
                break;
        }
    }

    /// <summary>The run's shared operation count.</summary>
    private sealed class Budget(int total)
    {
        private int _left = total;

        public bool TryTake() => Interlocked.Decrement(ref _left) >= 0;

        public void Return() => Interlocked.Increment(ref _left);
    }
}
