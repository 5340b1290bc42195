namespace AkkaRepl.Core.Ids;

/// <summary>A member's configured name: 1–64 characters of letters, digits, '-', '_' or '.'.</summary>
public readonly record struct NodeId
{
    public string Value { get; }

    public NodeId(string value)
    {
        if (!IsValid(value))
            throw new ArgumentException(
                $"'{value}' is not a valid node id: use 1-64 characters of letters, digits, '-', '_' or '.'", nameof(value));
        Value = value;
    }

    public static bool IsValid(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= 64 &&
        value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    public override string ToString() => Value;
}
