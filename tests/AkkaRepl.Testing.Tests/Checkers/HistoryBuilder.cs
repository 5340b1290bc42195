using System.Globalization;
using AkkaRepl.Testing.Histories;

namespace AkkaRepl.Testing.Tests.Checkers;

/// <summary>Hand-made histories: times are plain numbers; null completion means Unknown.</summary>
internal sealed class HistoryBuilder
{
    private readonly List<Operation> _ops = new();

    public HistoryBuilder Write(int process, string key, string value, long invoked, long? completed, Outcome outcome = Outcome.Ok) =>
        Add(process, OperationType.Write, key, value, null, invoked, completed, completed is null ? Outcome.Unknown : outcome, null);

    public HistoryBuilder Read(int process, string key, string? result, long invoked, long completed) =>
        Add(process, OperationType.Read, key, null, null, invoked, completed, Outcome.Ok, result);

    public HistoryBuilder Increment(int process, string key, long? result, long invoked, long? completed) =>
        Add(process, OperationType.Increment, key, null, null, invoked, completed, completed is null ? Outcome.Unknown : Outcome.Ok,
            result?.ToString(CultureInfo.InvariantCulture));

    public HistoryBuilder Cas(int process, string key, string? expected, string value, bool? swapped, long invoked, long? completed) =>
        Add(process, OperationType.Cas, key, value, expected, invoked, completed, completed is null ? Outcome.Unknown : Outcome.Ok,
            swapped is null ? null : swapped.Value ? "true" : "false");

    public History Build() => new(_ops);

    private HistoryBuilder Add(int process, OperationType type, string key, string? value, string? expected, long invoked, long? completed, Outcome outcome, string? result)
    {
        _ops.Add(new Operation(_ops.Count, process, type, key, value, expected, invoked, outcome == Outcome.Unknown ? null : completed, outcome, result));
        return this;
    }
}
