namespace AkkaRepl.Core.Config;

/// <summary>
/// Where a piece of HOCON text came from; prints as <c>source:line:column</c>, the prefix of every parse error.
/// Values with no text position (an environment variable, a CLI flag) have line 0 and print as the source alone.
/// </summary>
internal readonly record struct SourcePosition(string Source, int Line, int Column)
{
    public static SourcePosition Whole(string source) => new(source, 0, 0);

    public override string ToString() => Line > 0 ? $"{Source}:{Line}:{Column}" : Source;
}
