using Xunit.Abstractions;

namespace AkkaRepl.Testing.Waits;

/// <summary>
/// Named checkpoints in a spec, written to the test output like Akka's barriers so a failure's log shows how far
/// the spec got. Unlike a barrier there is nothing to wait for: the harness drives every node from one test.
/// </summary>
public static class Checkpoint
{
    /// <summary>Writes "[checkpoint] name @ time" to <paramref name="output"/> and returns the line.</summary>
    public static string Mark(ITestOutputHelper output, string name)
    {
        ArgumentNullException.ThrowIfNull(output);
        var line = Format(name);
        output.WriteLine(line);
        return line;
    }

    /// <summary>The text of a checkpoint line, also inserted into node logs by <c>ClusterFixture.Checkpoint</c>.</summary>
    public static string Format(string name) =>
        string.IsNullOrWhiteSpace(name)
            ? throw new ArgumentException("A checkpoint needs a name.", nameof(name))
            : $"[checkpoint] {name} @ {DateTimeOffset.UtcNow:HH:mm:ss.fff}";
}
