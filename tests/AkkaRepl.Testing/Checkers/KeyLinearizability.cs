using System.Text;
using AkkaRepl.Testing.Histories;

namespace AkkaRepl.Testing.Checkers;

/// <summary>The verdict for one key.</summary>
/// <param name="Key">The key.</param>
/// <param name="Verdict">Linearizable, not, or inconclusive.</param>
/// <param name="Operations">Operations checked for the key (reads that failed or timed out and failed writes are left out).</param>
/// <param name="StatesExplored">Configurations visited by the full-history search.</param>
/// <param name="FailingWindow">For a failure: the smallest contiguous (by invocation time) set of operations found that is not linearizable on its own, from any earlier state; null otherwise.</param>
/// <param name="ConcurrentOutsiders">Operations outside the window that overlap it in time and were allowed (not required) to take effect inside it.</param>
/// <param name="Note">Why the answer is inconclusive, or how the window search ended.</param>
/// <param name="WindowFromStart">True when the failing window starts at the key's first operation, so it is judged from the empty initial state rather than from any state.</param>
public sealed record KeyLinearizability(
    string Key,
    LinearizabilityVerdict Verdict,
    int Operations,
    long StatesExplored,
    IReadOnlyList<Operation>? FailingWindow,
    IReadOnlyList<Operation>? ConcurrentOutsiders,
    string? Note,
    bool WindowFromStart = false)
{
    /// <summary>A readable multi-line report.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append($"key {Key}: {Verdict} ({Operations} ops, {StatesExplored} states)");
        if (Note is not null)
            text.Append($" - {Note}");
        if (FailingWindow is not null)
        {
            text.AppendLine();
            var from = WindowFromStart ? "from the empty initial state" : "from any earlier state";
            text.AppendLine($"  smallest failing window ({FailingWindow.Count} ops; no order of them, {from}, explains the results):");
            foreach (var op in FailingWindow)
                text.AppendLine($"    {op}");
            if (ConcurrentOutsiders is { Count: > 0 })
            {
                text.AppendLine($"  overlapping operations allowed to take effect in between ({ConcurrentOutsiders.Count}):");
                foreach (var op in ConcurrentOutsiders.Take(20))
                    text.AppendLine($"    {op}");
                if (ConcurrentOutsiders.Count > 20)
                    text.AppendLine($"    ... {ConcurrentOutsiders.Count - 20} more");
            }
        }
        return text.ToString().TrimEnd();
    }
}
