using System.Globalization;
using AkkaRepl.Testing.Histories;

namespace AkkaRepl.Testing.Checkers;

/// <summary>
/// The state of one key seen as a register: a value (null = absent), or <see cref="Any"/> when the search starts in
/// the middle of a history and the value is not known yet (the first read pins it).
/// </summary>
internal readonly record struct RegisterState(bool Any, string? Value)
{
    public static RegisterState Absent { get; } = new(false, null);

    public static RegisterState Unknown { get; } = new(true, null);

    /// <summary>
    /// The state after <paramref name="op"/> takes effect here, or null when it cannot take effect with the recorded
    /// result. Increments are read-modify-writes on a decimal integer (absent = 0); an Unknown op is assumed to take
    /// effect when linearized (not linearizing it covers "did not happen").
    /// </summary>
    public RegisterState? Apply(Operation op)
    {
        var known = op.Outcome == Outcome.Ok;
        switch (op.Type)
        {
            case OperationType.Write:
                return new RegisterState(false, op.Value);

            case OperationType.Read:
                if (Any)
                    return new RegisterState(false, op.Result);
                return Value == op.Result ? this : null;

            case OperationType.Increment:
                if (Any)
                    return known ? new RegisterState(false, op.Result) : this;
                var current = Value is null ? 0L : long.TryParse(Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : (long?)null;
                if (current is null)
                    return null; // INCR of a non-integer errors and changes nothing
                var next = (current.Value + 1).ToString(CultureInfo.InvariantCulture);
                return !known || next == op.Result ? new RegisterState(false, next) : null;

            case OperationType.Cas:
                var swapped = !known || op.Result == "true";
                if (swapped)
                    return Any || Value == op.Expected ? new RegisterState(false, op.Value) : null;
                // A CAS that reported a mismatch is a read that saw something else; from Any it learns little.
                return Any || Value != op.Expected ? this : null;

            default:
                throw new ArgumentOutOfRangeException(nameof(op), op.Type, "Unknown operation type.");
        }
    }

    public override string ToString() => Any ? "(any)" : Value is null ? "nil" : $"\"{Value}\"";
}
