using System.Reflection;
using AkkaRepl.Core.Config;

namespace AkkaRepl.Core.Options;

/// <summary>Where <see cref="IValidatableOptions.Validate"/> reports problems; knows the record's HOCON path.</summary>
public sealed class OptionsValidationContext
{
    private readonly Type _recordType;
    private readonly List<string> _errors;

    internal OptionsValidationContext(string path, Type recordType, List<string> errors)
    {
        Path = path;
        _recordType = recordType;
        _errors = errors;
    }

    /// <summary>The record's HOCON path, e.g. <c>akkarepl.wal</c>.</summary>
    public string Path { get; }

    /// <summary>The full HOCON path of one of the record's properties: <c>PathOf(nameof(SegmentSizeBytes))</c> is <c>akkarepl.wal.segment-size</c>.</summary>
    public string PathOf(string propertyName)
    {
        var property = _recordType.GetProperty(propertyName, BindingFlags.Public | BindingFlags.Instance)
            ?? throw new ArgumentException($"{_recordType.Name} has no property {propertyName}", nameof(propertyName));
        return $"{Path}.{OptionKeys.KeyOf(property)}";
    }

    /// <summary>Reports a problem; write it so the user knows which keys to change and to what.</summary>
    public void Add(string message) => _errors.Add(message);
}
