namespace AkkaRepl.Core.Config;

/// <summary><c>${path}</c> or <c>${?path}</c>: replaced by the value at an absolute path once the whole tree is parsed.</summary>
internal sealed class HoconSubstitution : HoconNode
{
    public HoconSubstitution(IReadOnlyList<string> path, string written, bool optional, SourcePosition position)
        : base(position)
    {
        Path = path;
        Written = written;
        Optional = optional;
    }

    /// <summary>The absolute path, already prefixed with the location of the include that brought it in.</summary>
    public IReadOnlyList<string> Path { get; }

    /// <summary>The path as written in the file; also the environment variable name looked up when the path is missing.</summary>
    public string Written { get; }

    public bool Optional { get; }

    /// <summary>The value this field had before an optional substitution was assigned to it; it stays when the substitution is undefined (<c>a = 1, a = ${?X}</c>).</summary>
    public HoconNode? Previous { get; set; }

    public override bool NeedsResolving => true;

    public override string ToString() => Optional ? $"${{?{Written}}}" : $"${{{Written}}}";
}
