using System.Globalization;
using AkkaRepl.Testing.Histories;

namespace AkkaRepl.Testing.Checkers;

/// <summary>
/// Checks G1 (no acknowledged write is lost) against the final state of every surviving node, and that all those
/// states are equal.
/// </summary>
/// <remarks>
/// <para><b>Register keys</b> (written by SET or compare-and-set). Every written value is unique. An acknowledged
/// write is an Ok write or an Ok CAS that returned true; a possible write is one of those or an Unknown write or CAS.
/// A write <c>w</c> is <i>superseded</i> when some acknowledged write to the same key was invoked after <c>w</c>
/// completed (Unknown writes never complete, so they are never superseded). The final value is correct when it is the
/// value of a possible write that is not superseded. When the key has no acknowledged write it may also be absent.
/// Put differently: every acknowledged write <c>a</c> is <i>present</i> when the final value comes from <c>a</c>
/// itself or from a write not known to precede <c>a</c> in real time (concurrent with it or later, acknowledged or of
/// unknown outcome). A later write of unknown outcome may thus legitimately replace an acknowledged one.</para>
/// <para><b>Counter keys</b> (only increments; absent = 0). With <c>k</c> Ok increments, <c>u</c> Unknown ones and
/// <c>m</c> the largest result an Ok increment returned, the final value <c>n</c> must satisfy
/// <c>max(k, m) &lt;= n &lt;= k + u</c>.</para>
/// <para>Keys with both writes and increments are not checked (noted). Keys a node holds that the history never
/// touched only matter for the equality check.</para>
/// </remarks>
public sealed class AcknowledgedWriteChecker
{
    /// <summary>Checks <paramref name="history"/> against each node's final key/value state (a missing key = absent).</summary>
    public AcknowledgedWriteResult Check(History history, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>> finalStates)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(finalStates);
        if (finalStates.Count == 0)
            throw new ArgumentException("Give the final state of at least one surviving node.", nameof(finalStates));
        var violations = new List<string>();
        var notes = new List<string>();

        CheckEqual(finalStates, violations);
        foreach (var key in history.Keys)
        {
            var ops = history.ForKey(key);
            var writes = ops.Where(o => o.Type is OperationType.Write or OperationType.Cas).ToArray();
            var increments = ops.Where(o => o.Type == OperationType.Increment).ToArray();
            if (writes.Length > 0 && increments.Length > 0)
            {
                notes.Add($"{key}: has both writes and increments; not checked");
                continue;
            }
            foreach (var (node, state) in finalStates.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                var final = state.TryGetValue(key, out var value) ? value : null;
                if (increments.Length > 0)
                    CheckCounter(key, node, final, increments, violations);
                else if (writes.Length > 0)
                    CheckRegister(key, node, final, writes, violations);
            }
        }
        return new AcknowledgedWriteResult(violations, notes);
    }

    private static void CheckEqual(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>> states, List<string> violations)
    {
        var nodes = states.Keys.Order(StringComparer.Ordinal).ToArray();
        var keys = states.Values.SelectMany(s => s.Where(kv => kv.Value is not null).Select(kv => kv.Key)).Distinct().Order(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var values = nodes.Select(n => states[n].TryGetValue(key, out var v) ? v : null).ToArray();
            if (values.Distinct().Count() > 1)
                violations.Add($"{key}: nodes disagree: {string.Join(", ", nodes.Zip(values, (n, v) => $"{n}={Show(v)}"))}");
        }
    }

    private static void CheckRegister(string key, string node, string? final, Operation[] writes, List<string> violations)
    {
        var acknowledged = writes.Where(IsAcknowledgedWrite).ToArray();
        var possible = writes.Where(w => w.MayHaveWritten).ToArray();
        if (final is null)
        {
            if (acknowledged.Length > 0)
                violations.Add($"{key} on {node}: absent, but acknowledged writes exist; lost: {Latest(acknowledged)}");
            return;
        }
        var writer = possible.FirstOrDefault(w => w.Value == final);
        if (writer is null)
        {
            violations.Add($"{key} on {node}: final value {Show(final)} was never written (or only by writes that definitely failed)");
            return;
        }
        var later = acknowledged.Where(a => a.InvokedAt > writer.CompletedOrInfinity).OrderBy(a => a.InvokedAt).ToArray();
        if (later.Length > 0)
            violations.Add($"{key} on {node}: final value {Show(final)} comes from {writer}, but {later.Length} acknowledged write(s) " +
                           $"started after it completed and are lost, first: {later[0]}");
    }

    private static void CheckCounter(string key, string node, string? final, Operation[] increments, List<string> violations)
    {
        if (final is not null && !long.TryParse(final, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
        {
            violations.Add($"{key} on {node}: counter holds non-integer {Show(final)}");
            return;
        }
        var value = final is null ? 0 : long.Parse(final, CultureInfo.InvariantCulture);
        var ok = increments.Count(o => o.Outcome == Outcome.Ok);
        var unknown = increments.Count(o => o.Outcome == Outcome.Unknown);
        var highest = increments.Where(o => o.Outcome == Outcome.Ok && o.Result is not null)
            .Select(o => long.Parse(o.Result!, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
        var floor = Math.Max(ok, highest);
        if (value < floor)
            violations.Add($"{key} on {node}: counter is {value}, but {ok} increments were acknowledged and one returned {highest}: " +
                           $"{floor - value} acknowledged increment(s) lost");
        else if (value > ok + unknown)
            violations.Add($"{key} on {node}: counter is {value}, more than {ok} acknowledged + {unknown} unknown increments");
    }

    private static bool IsAcknowledgedWrite(Operation o) =>
        o.Outcome == Outcome.Ok && (o.Type == OperationType.Write || (o.Type == OperationType.Cas && o.Result == "true"));

    private static Operation Latest(IEnumerable<Operation> ops) => ops.OrderByDescending(o => o.CompletedOrInfinity).First();

    private static string Show(string? value) => value is null ? "nil" : $"\"{value}\"";
}
