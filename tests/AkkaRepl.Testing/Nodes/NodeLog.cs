using System.Text;

namespace AkkaRepl.Testing.Nodes;

/// <summary>
/// A bounded, thread-safe, in-memory log of a node's output: the newest <see cref="Capacity"/> lines are kept and the
/// number of older lines dropped is reported, so a chatty node cannot exhaust the test's memory.
/// </summary>
public sealed class NodeLog
{
    private readonly Queue<NodeLogLine> _lines = new();
    private readonly object _gate = new();
    private long _dropped;

    /// <summary>Creates a log that keeps the newest <paramref name="capacity"/> lines.</summary>
    public NodeLog(int capacity = 10_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>The most lines kept.</summary>
    public int Capacity { get; }

    /// <summary>Lines dropped because the log was full.</summary>
    public long Dropped
    {
        get
        {
            lock (_gate)
                return _dropped;
        }
    }

    /// <summary>Appends a line stamped with the current UTC time.</summary>
    public void Add(NodeLogSource source, string text)
    {
        var line = new NodeLogLine(DateTimeOffset.UtcNow, source, text);
        lock (_gate)
        {
            if (_lines.Count == Capacity)
            {
                _lines.Dequeue();
                _dropped++;
            }
            _lines.Enqueue(line);
        }
    }

    /// <summary>A copy of the lines kept, oldest first.</summary>
    public IReadOnlyList<NodeLogLine> Snapshot()
    {
        lock (_gate)
            return _lines.ToArray();
    }

    /// <summary>True when some kept line contains <paramref name="text"/> (ordinal).</summary>
    public bool Contains(string text) => Snapshot().Any(l => l.Text.Contains(text, StringComparison.Ordinal));

    /// <summary>All kept lines, one per line, preceded by a note when older lines were dropped.</summary>
    public override string ToString()
    {
        var lines = Snapshot();
        var text = new StringBuilder();
        var dropped = Dropped;
        if (dropped > 0)
            text.AppendLine($"({dropped} older lines dropped)");
        foreach (var line in lines)
            text.AppendLine(line.ToString());
        return text.ToString();
    }
}
