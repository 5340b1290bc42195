namespace AkkaRepl.Testing.Nodes;

/// <summary>One timestamped line of a <see cref="NodeLog"/>.</summary>
public sealed record NodeLogLine(DateTimeOffset At, NodeLogSource Source, string Text)
{
    /// <inheritdoc />
    public override string ToString()
    {
        var tag = Source switch
        {
            NodeLogSource.Stdout => "out",
            NodeLogSource.Stderr => "err",
            _ => "harness",
        };
        return $"{At:HH:mm:ss.fff} [{tag}] {Text}";
    }
}
