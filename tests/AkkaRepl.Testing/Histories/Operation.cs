using System.Globalization;
using System.Text.Json.Serialization;

namespace AkkaRepl.Testing.Histories;

/// <summary>
/// One client operation of a history. Times are nanoseconds on one monotonic clock shared by all clients of a run;
/// <see cref="CompletedAt"/> is null when the outcome is <see cref="Outcome.Unknown"/> (completion = +infinity).
/// </summary>
/// <param name="Id">Position in the recorder's order, unique within a history.</param>
/// <param name="Process">The logical client; a client whose operation ended Unknown continues as a new process.</param>
/// <param name="Type">What the operation did.</param>
/// <param name="Key">The key it touched.</param>
/// <param name="Value">The value written (write) or the new value (CAS); null otherwise.</param>
/// <param name="Expected">For CAS, the value required (null = absent); null otherwise.</param>
/// <param name="InvokedAt">When the client sent it.</param>
/// <param name="CompletedAt">When the client got the reply; null when Unknown.</param>
/// <param name="Outcome">Ok, Fail or Unknown.</param>
/// <param name="Result">Read: the value (null = nil); increment: the new value; CAS: "true" or "false".</param>
/// <param name="Error">The error text or exception when not Ok.</param>
public sealed record Operation(
    long Id,
    int Process,
    OperationType Type,
    string Key,
    string? Value,
    string? Expected,
    long InvokedAt,
    long? CompletedAt,
    Outcome Outcome,
    string? Result,
    string? Error = null)
{
    /// <summary>The completion time, with +infinity (<see cref="long.MaxValue"/>) for Unknown operations.</summary>
    [JsonIgnore]
    public long CompletedOrInfinity => Outcome == Outcome.Unknown ? long.MaxValue : CompletedAt ?? long.MaxValue;

    /// <summary>True when the operation may have changed its key (a write, increment or CAS that was not a definite failure).</summary>
    [JsonIgnore]
    public bool MayHaveWritten => Type != OperationType.Read && Outcome != Outcome.Fail && !(Type == OperationType.Cas && Outcome == Outcome.Ok && Result != "true");

    /// <summary>A readable one-line form, e.g. <c>#12 p3 write r0 := "3-7" ok [1.203ms, 1.940ms]</c>.</summary>
    public override string ToString()
    {
        var what = Type switch
        {
            OperationType.Write => $"write {Key} := {Show(Value)}",
            OperationType.Read => $"read {Key}" + (Outcome == Outcome.Ok ? $" -> {Show(Result)}" : ""),
            OperationType.Increment => $"incr {Key}" + (Outcome == Outcome.Ok ? $" -> {Result}" : ""),
            _ => $"cas {Key} {Show(Expected)} => {Show(Value)}" + (Outcome == Outcome.Ok ? $" -> {Result}" : ""),
        };
        var end = CompletedAt is { } c && Outcome != Outcome.Unknown ? Ms(c) : "inf";
        var error = Error is null ? "" : $" ({Error})";
        return $"#{Id} p{Process} {what} {Outcome.ToString().ToLowerInvariant()}{error} [{Ms(InvokedAt)}, {end}]";
    }

    private static string Show(string? value) => value is null ? "nil" : $"\"{value}\"";

    private static string Ms(long nanoseconds) => (nanoseconds / 1e6).ToString("0.000", CultureInfo.InvariantCulture) + "ms";
}
