namespace AkkaRepl.Core.Config;

/// <summary>Simple values on one line that hold at least one substitution; they become one string when resolved.</summary>
internal sealed class HoconConcatenation : HoconNode
{
    public HoconConcatenation(IReadOnlyList<HoconNode> parts, SourcePosition position) : base(position) => Parts = parts;

    /// <summary>Scalars (including the whitespace between values) and substitutions, in order.</summary>
    public IReadOnlyList<HoconNode> Parts { get; }

    public override bool NeedsResolving => true;
}
