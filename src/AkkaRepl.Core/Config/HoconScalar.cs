namespace AkkaRepl.Core.Config;

/// <summary>A simple value: a string, a number (text as written), true/false or null.</summary>
internal sealed class HoconScalar : HoconNode
{
    public HoconScalar(string text, HoconScalarKind kind, SourcePosition position) : base(position)
    {
        Text = text;
        Kind = kind;
    }

    public string Text { get; }
    public HoconScalarKind Kind { get; }
}
