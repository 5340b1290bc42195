using System.Diagnostics;
using System.Text.Json;

namespace AkkaRepl.Testing.Histories;

/// <summary>
/// Collects the operations of a run from many clients at once: gives them one monotonic clock
/// (<see cref="Now"/>), numbers them, keeps them in memory and, when a path is given, appends each as a JSON line.
/// </summary>
public sealed class HistoryRecorder : IDisposable
{
    private readonly object _gate = new();
    private readonly List<Operation> _operations = new();
    private readonly StreamWriter? _file;
    private readonly long _origin = Stopwatch.GetTimestamp();
    private long _nextId;

    /// <summary>Records in memory and, when <paramref name="path"/> is set, to that JSON-lines file.</summary>
    public HistoryRecorder(string? path = null)
    {
        Path = path;
        if (path is not null)
            _file = new StreamWriter(path, append: false) { AutoFlush = false };
    }

    /// <summary>The JSON-lines file, if any.</summary>
    public string? Path { get; }

    /// <summary>Nanoseconds since the recorder was created, on a monotonic clock.</summary>
    public long Now => (long)(Stopwatch.GetElapsedTime(_origin).Ticks * (1_000_000_000.0 / TimeSpan.TicksPerSecond));

    /// <summary>Records one finished (or given-up) operation; its <see cref="Operation.Id"/> is assigned here.</summary>
    public Operation Record(Operation operation)
    {
        lock (_gate)
        {
            var numbered = operation with { Id = _nextId++ };
            _operations.Add(numbered);
            _file?.WriteLine(JsonSerializer.Serialize(numbered, HistoryJson.Options));
            return numbered;
        }
    }

    /// <summary>What was recorded so far, as a history.</summary>
    public History ToHistory()
    {
        lock (_gate)
        {
            _file?.Flush();
            return new History(_operations.ToArray());
        }
    }

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose()
    {
        lock (_gate)
            _file?.Dispose();
    }
}
