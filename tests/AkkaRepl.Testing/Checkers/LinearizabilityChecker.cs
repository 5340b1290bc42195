using System.Diagnostics;
using AkkaRepl.Testing.Histories;

namespace AkkaRepl.Testing.Checkers;

/// <summary>
/// Checks that a history is linearizable, key by key (linearizability is local, so keys are independent), with each
/// key a register: writes set it, reads return it, compare-and-set swaps only from the expected value (a "false"
/// result is a read that saw something else), and increments are read-modify-writes of a decimal integer (absent = 0)
/// returning the new value.
/// </summary>
/// <remarks>
/// <para>Outcomes: Ok operations must take effect between invocation and completion, with their recorded result.
/// Unknown operations may take effect at any point after invocation or not at all (completion = +infinity). Fail
/// operations and reads that did not complete are left out.</para>
/// <para>On a failure the checker looks for the smallest failing window: the shortest run of operations contiguous by
/// invocation time, ending as early as possible, that is not linearizable on its own from any starting state, where
/// operations outside the window that overlap it in time may (but need not) take effect inside it. Because of that
/// allowance a failing window is a genuine violation of the whole history, not an artefact of cutting it.</para>
/// </remarks>
public sealed class LinearizabilityChecker(LinearizabilityOptions? options = null)
{
    private readonly LinearizabilityOptions _options = options ?? new LinearizabilityOptions();

    /// <summary>Checks every key of <paramref name="history"/>.</summary>
    public LinearizabilityResult Check(History history)
    {
        var clock = Stopwatch.StartNew();
        var keys = history.Keys.Select(key => CheckKey(key, Relevant(history.ForKey(key)), clock)).ToArray();
        var verdict = keys.Any(k => k.Verdict == LinearizabilityVerdict.NotLinearizable) ? LinearizabilityVerdict.NotLinearizable
            : keys.Any(k => k.Verdict == LinearizabilityVerdict.Inconclusive) ? LinearizabilityVerdict.Inconclusive
            : LinearizabilityVerdict.Linearizable;
        return new LinearizabilityResult(verdict, keys);
    }

    private static Operation[] Relevant(IEnumerable<Operation> ops) =>
        ops.Where(o => o.Outcome == Outcome.Ok || (o.Outcome == Outcome.Unknown && o.Type != OperationType.Read))
            .OrderBy(o => o.InvokedAt).ThenBy(o => o.Id).ToArray();

    private KeyLinearizability CheckKey(string key, Operation[] ops, Stopwatch clock)
    {
        var whole = ops.Select(o => new RegisterSearch.SearchOp(o, o.Outcome == Outcome.Ok, o.InvokedAt, o.CompletedOrInfinity)).ToArray();
        var (answer, states) = RegisterSearch.Run(whole, RegisterState.Absent, _options.MaxStatesPerSearch, clock, _options.MaxDuration);
        switch (answer)
        {
            case RegisterSearch.Answer.Linearizable:
                return new KeyLinearizability(key, LinearizabilityVerdict.Linearizable, ops.Length, states, null, null, null);
            case RegisterSearch.Answer.OutOfBudget:
                return new KeyLinearizability(key, LinearizabilityVerdict.Inconclusive, ops.Length, states, null, null,
                    clock.Elapsed > _options.MaxDuration
                        ? $"time budget of {_options.MaxDuration.TotalSeconds:F1}s exceeded"
                        : $"state budget of {_options.MaxStatesPerSearch} exceeded");
        }
        if (!_options.FindSmallestWindow)
            return new KeyLinearizability(key, LinearizabilityVerdict.NotLinearizable, ops.Length, states, null, null, null);
        var (window, outsiders, note) = SmallestWindow(ops, clock);
        return new KeyLinearizability(key, LinearizabilityVerdict.NotLinearizable, ops.Length, states, window, outsiders, note,
            window is { Count: > 0 } && window[0] == ops[0]);
    }

    private (IReadOnlyList<Operation>? Window, IReadOnlyList<Operation>? Outsiders, string? Note) SmallestWindow(Operation[] ops, Stopwatch clock)
    {
        // The earliest end: the shortest failing prefix. Failure of a prefix (with its overlapping outsiders) is
        // monotone in its end, so a binary search finds it; the whole history is known to fail.
        var low = 0;
        var high = ops.Length - 1;
        while (low < high)
        {
            var middle = (low + high) / 2;
            var fails = Fails(ops, 0, middle, clock);
            if (fails is null)
                return (null, null, "window search ran out of budget");
            if (fails.Value)
                high = middle;
            else
                low = middle + 1;
        }
        var end = low;
        // Then the shortest window ending there, trying the smallest first.
        for (var start = end; start >= 0; start--)
        {
            var fails = start == 0 || Fails(ops, start, end, clock) is true;
            if (fails)
                return (ops[start..(end + 1)], Outsiders(ops, start, end), null);
        }
        // Each window passed although the whole failed: only possible when the budget cut a search short.
        return (null, null, "no failing window found within the budget");
    }

    /// <summary>True/false whether ops[start..end] fails; null when out of budget.</summary>
    private bool? Fails(Operation[] ops, int start, int end, Stopwatch clock)
    {
        if (clock.Elapsed > _options.MaxDuration)
            return null;
        var window = new List<RegisterSearch.SearchOp>();
        for (var i = start; i <= end; i++)
            window.Add(new RegisterSearch.SearchOp(ops[i], ops[i].Outcome == Outcome.Ok, ops[i].InvokedAt, ops[i].CompletedOrInfinity));
        foreach (var outsider in Outsiders(ops, start, end))
            window.Add(new RegisterSearch.SearchOp(outsider, false, outsider.InvokedAt, long.MaxValue));
        window.Sort((a, b) => a.InvokedAt != b.InvokedAt ? a.InvokedAt.CompareTo(b.InvokedAt) : a.Op.Id.CompareTo(b.Op.Id));
        var initial = start == 0 ? RegisterState.Absent : RegisterState.Unknown;
        var (answer, _) = RegisterSearch.Run(window, initial, _options.MaxStatesPerSearch, clock, _options.MaxDuration);
        return answer switch
        {
            RegisterSearch.Answer.NotLinearizable => true,
            RegisterSearch.Answer.Linearizable => false,
            _ => null,
        };
    }

    /// <summary>
    /// Operations outside ops[start..end] that could take effect among the window's in some linearization of the whole:
    /// those that may write, did not complete before the window's first invocation, and were invoked before the
    /// window's last required completion.
    /// </summary>
    private static List<Operation> Outsiders(Operation[] ops, int start, int end)
    {
        var first = ops[start].InvokedAt;
        var last = long.MinValue;
        for (var i = start; i <= end; i++)
            if (ops[i].Outcome == Outcome.Ok)
                last = Math.Max(last, ops[i].CompletedOrInfinity);
        var outsiders = new List<Operation>();
        for (var i = 0; i < ops.Length; i++)
        {
            if (i >= start && i <= end)
                continue;
            var o = ops[i];
            if (o.MayHaveWritten && o.CompletedOrInfinity >= first && o.InvokedAt <= last)
                outsiders.Add(o);
        }
        return outsiders;
    }
}
