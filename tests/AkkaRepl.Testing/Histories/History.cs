using System.Text.Json;

namespace AkkaRepl.Testing.Histories;

/// <summary>A recorded history: every operation of a run, ordered by invocation time.</summary>
public sealed class History
{
    /// <summary>Wraps <paramref name="operations"/>, sorted by invocation time then id.</summary>
    public History(IEnumerable<Operation> operations) =>
        Operations = operations.OrderBy(o => o.InvokedAt).ThenBy(o => o.Id).ToArray();

    /// <summary>All operations, by invocation time.</summary>
    public IReadOnlyList<Operation> Operations { get; }

    /// <summary>The keys touched, sorted.</summary>
    public IReadOnlyList<string> Keys => Operations.Select(o => o.Key).Distinct().Order(StringComparer.Ordinal).ToArray();

    /// <summary>The operations on one key, by invocation time.</summary>
    public IReadOnlyList<Operation> ForKey(string key) => Operations.Where(o => o.Key == key).ToArray();

    /// <summary>Reads a JSON-lines history written by <see cref="HistoryRecorder"/> or <see cref="Save"/>.</summary>
    /// <exception cref="FormatException">A line is not an operation; the message names the line.</exception>
    public static History Load(string path)
    {
        var operations = new List<Operation>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            try
            {
                operations.Add(JsonSerializer.Deserialize<Operation>(line, HistoryJson.Options)
                    ?? throw new FormatException("null"));
            }
            catch (JsonException e)
            {
                throw new FormatException($"{path}:{number} is not an operation: {e.Message}", e);
            }
        }
        return new History(operations);
    }

    /// <summary>Writes the history as JSON lines.</summary>
    public void Save(string path) =>
        File.WriteAllLines(path, Operations.Select(o => JsonSerializer.Serialize(o, HistoryJson.Options)));

    /// <summary>Counts per outcome, e.g. "312 ops: 290 ok, 4 fail, 18 unknown".</summary>
    public override string ToString() =>
        $"{Operations.Count} ops: {Operations.Count(o => o.Outcome == Outcome.Ok)} ok, " +
        $"{Operations.Count(o => o.Outcome == Outcome.Fail)} fail, {Operations.Count(o => o.Outcome == Outcome.Unknown)} unknown";
}
