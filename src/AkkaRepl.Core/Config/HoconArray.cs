namespace AkkaRepl.Core.Config;

/// <summary>A HOCON array: <c>[1, 2]</c> or one element per line.</summary>
internal sealed class HoconArray : HoconNode
{
    public HoconArray(SourcePosition position) : base(position) { }

    public List<HoconNode> Items { get; } = new();
}
