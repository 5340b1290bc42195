namespace AkkaRepl.Core.Config;

/// <summary>
/// <c>a += x</c>: the array <c>a</c> held before (in any earlier line, include or layer) with <c>x</c> appended,
/// or <c>[x]</c> when <c>a</c> was not set. Resolved with the substitutions, once the earlier value is known.
/// </summary>
internal sealed class HoconAppend : HoconNode
{
    public HoconAppend(string key, HoconNode element, SourcePosition position) : base(position)
    {
        Key = key;
        Element = element;
    }

    /// <summary>The key as written, for messages.</summary>
    public string Key { get; }

    public HoconNode Element { get; }

    /// <summary>The field's earlier value (set by <see cref="HoconObject.Merge"/>); null when it had none.</summary>
    public HoconNode? Previous { get; set; }

    public override bool NeedsResolving => true;
}
