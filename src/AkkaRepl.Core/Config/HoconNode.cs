namespace AkkaRepl.Core.Config;

/// <summary>A node of a parsed HOCON tree. Substitutions and concatenations exist only until <see cref="HoconResolver"/> runs.</summary>
internal abstract class HoconNode
{
    protected HoconNode(SourcePosition position) => Position = position;

    /// <summary>Where the value starts in its source, for error messages.</summary>
    public SourcePosition Position { get; }

    /// <summary>True for a substitution or a concatenation that still holds one.</summary>
    public virtual bool NeedsResolving => false;
}
