namespace AkkaRepl.Testing.Checkers;

/// <summary>The answer of the <see cref="LinearizabilityChecker"/>.</summary>
public enum LinearizabilityVerdict
{
    /// <summary>A valid linearization was found for every key.</summary>
    Linearizable,

    /// <summary>Some key has no valid linearization: a real bug (or a wrong model).</summary>
    NotLinearizable,

    /// <summary>The search budget ran out before an answer: neither pass nor fail.</summary>
    Inconclusive,
}
