namespace AkkaRepl.Core.Config;

/// <summary><c>${path}</c> or <c>${?path}</c>: replaced by the value at an absolute path once the whole tree is parsed.</summary>
internal sealed class HoconSubstitution : HoconNode
{
    public HoconSubstitution(IReadOnlyList<string> path, string written, bool optional, bool selfReference, SourcePosition position)
        : base(position)
    {
        Path = path;
        Written = written;
        Optional = optional;
        SelfReference = selfReference;
    }

    /// <summary>The absolute path, already prefixed with the location of the include that brought it in.</summary>
    public IReadOnlyList<string> Path { get; }

    /// <summary>The path as written in the file; also the environment variable name looked up when the path is missing.</summary>
    public string Written { get; }

    public bool Optional { get; }

    /// <summary>True when the path is the field's own (<c>path = ${path}":/more"</c>): it means the field's earlier value.</summary>
    public bool SelfReference { get; }

    /// <summary>
    /// The field's value before this substitution was assigned to it (set by <see cref="HoconObject.Merge"/>).
    /// A self-reference resolves to it; an undefined optional substitution leaves it in place (<c>a = 1, a = ${?X}</c>).
    /// </summary>
    public HoconNode? Previous { get; set; }

    /// <summary>True when an earlier value of the field matters to this substitution.</summary>
    public bool WantsPrevious => Optional || SelfReference;

    public override bool NeedsResolving => true;

    public override string ToString() => Optional ? $"${{?{Written}}}" : $"${{{Written}}}";
}
