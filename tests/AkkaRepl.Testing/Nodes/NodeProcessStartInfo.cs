namespace AkkaRepl.Testing.Nodes;

/// <summary>
/// How to start a node process: any command line whose standard output announces readiness with a line matching
/// <see cref="ReadyLinePattern"/>. <see cref="AkkaReplNode"/> builds one for the real <c>akkarepl</c> program.
/// </summary>
public sealed record NodeProcessStartInfo
{
    /// <summary>The akkarepl ready line; named groups <c>node</c>, <c>resp</c>, <c>http</c>, <c>repl</c> are parsed when present.</summary>
    public const string DefaultReadyLinePattern =
        @"^READY node=(?<node>\S+) resp=(?<resp>\d+) http=(?<http>\d+) repl=(?<repl>\d+)\s*$";

    /// <summary>A label for logs and errors (usually the role name).</summary>
    public required string Name { get; init; }

    /// <summary>The program to run, e.g. "dotnet" or "/bin/sh".</summary>
    public required string FileName { get; init; }

    /// <summary>Arguments, passed one by one (no shell quoting).</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>
    /// Arguments for a restart, given what the previous run announced, so it can ask for the same ports.
    /// Null: restart with <see cref="Arguments"/>. When a restart with these fails before ready, it is retried with
    /// <see cref="Arguments"/> (the old port may be taken).
    /// </summary>
    public Func<NodeEndpoints, IReadOnlyList<string>>? RestartArguments { get; init; }

    /// <summary>A regular expression matched against each stdout line; the first match means ready.</summary>
    public string ReadyLinePattern { get; init; } = DefaultReadyLinePattern;

    /// <summary>Working directory; null for the test's.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Extra environment variables for the process.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>How long to wait for the ready line.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long <see cref="NodeProcess.StopAsync"/> waits after SIGTERM before SIGKILL.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Lines kept in the node's in-memory log.</summary>
    public int MaxLogLines { get; init; } = 10_000;
}
