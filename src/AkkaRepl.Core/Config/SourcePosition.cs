namespace AkkaRepl.Core.Config;

/// <summary>Where a piece of HOCON text came from; prints as <c>source:line:column</c>, the prefix of every parse error.</summary>
internal readonly record struct SourcePosition(string Source, int Line, int Column)
{
    public override string ToString() => $"{Source}:{Line}:{Column}";
}
