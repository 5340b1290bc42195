namespace AkkaRepl.Testing.Checkers;

/// <summary>The verdict over all keys: NotLinearizable if any key is, else Inconclusive if any key is, else Linearizable.</summary>
public sealed record LinearizabilityResult(LinearizabilityVerdict Verdict, IReadOnlyList<KeyLinearizability> Keys)
{
    /// <summary>True only for a definite pass.</summary>
    public bool IsLinearizable => Verdict == LinearizabilityVerdict.Linearizable;

    /// <summary>The failing and inconclusive keys, readably; a one-line summary when everything passed.</summary>
    public override string ToString()
    {
        var bad = Keys.Where(k => k.Verdict != LinearizabilityVerdict.Linearizable).ToArray();
        var head = $"{Verdict}: {Keys.Count} keys, {Keys.Sum(k => k.Operations)} ops";
        return bad.Length == 0 ? head : head + Environment.NewLine + string.Join(Environment.NewLine, bad.Select(k => k.ToString()));
    }
}
