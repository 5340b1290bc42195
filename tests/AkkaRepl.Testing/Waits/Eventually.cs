using System.Diagnostics;

namespace AkkaRepl.Testing.Waits;

/// <summary>
/// Waits for an observable condition by polling with backoff (10 ms doubling to 250 ms), and fails with what was
/// awaited and the last value or error observed. Use it instead of fixed sleeps.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan LongestPoll = TimeSpan.FromMilliseconds(250);

    /// <summary>Waits until <paramref name="condition"/> returns true; exceptions it throws count as "not yet".</summary>
    /// <exception cref="TimeoutException">The condition did not hold within <paramref name="timeout"/>.</exception>
    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken ct = default) =>
        await WaitAsync(condition, ok => ok, timeout, what, ct).ConfigureAwait(false);

    /// <summary>Waits until the synchronous <paramref name="condition"/> returns true.</summary>
    /// <exception cref="TimeoutException">The condition did not hold within <paramref name="timeout"/>.</exception>
    public static Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what, CancellationToken ct = default) =>
        WaitAsync(() => Task.FromResult(condition()), timeout, what, ct);

    /// <summary>
    /// Observes a value until <paramref name="until"/> accepts it and returns that value; on timeout the message shows
    /// the last observed value (or the last exception).
    /// </summary>
    /// <exception cref="TimeoutException">No accepted value within <paramref name="timeout"/>.</exception>
    public static async Task<T> WaitAsync<T>(
        Func<Task<T>> observe, Func<T, bool> until, TimeSpan timeout, string what, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var poll = FirstPoll;
        var observations = 0;
        string last = "(nothing observed yet)";
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                observations++;
                var value = await observe().ConfigureAwait(false);
                if (until(value))
                    return value;
                last = Describe(value);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                last = $"{e.GetType().Name}: {e.Message}";
            }
            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero)
                throw new TimeoutException(
                    $"Timed out after {clock.Elapsed.TotalMilliseconds:F0} ms ({observations} observations) waiting for {what}. Last observed: {last}");
            // Backoff between observations of a condition, bounded by the time left.
            await Task.Delay(poll < left ? poll : left, ct).ConfigureAwait(false);
            poll = TimeSpan.FromTicks(Math.Min(poll.Ticks * 2, LongestPoll.Ticks));
        }
    }

    private static string Describe<T>(T value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        System.Collections.IEnumerable e and not string => $"[{string.Join(", ", e.Cast<object?>().Take(20))}]",
        _ => value.ToString() ?? "(no text)",
    };
}
