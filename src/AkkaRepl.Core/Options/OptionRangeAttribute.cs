using System.Globalization;

namespace AkkaRepl.Core.Options;

/// <summary>
/// The allowed range of an option, checked when configuration is bound (and by
/// <c>AkkaReplOptionsBinder.Validate</c>). Bounds are inclusive. For a <see cref="TimeSpan"/> or a <c>*Bytes</c>
/// property write the bounds as HOCON would: <c>[OptionRange("1 ms", "1 h")]</c>, <c>[OptionRange("4 KiB", "1 TiB")]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OptionRangeAttribute : Attribute
{
    /// <summary>Whole-number bounds (also bytes, or milliseconds for a duration).</summary>
    public OptionRangeAttribute(long minimum, long maximum)
    {
        Minimum = minimum.ToString(CultureInfo.InvariantCulture);
        Maximum = maximum.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Fractional bounds.</summary>
    public OptionRangeAttribute(double minimum, double maximum)
    {
        Minimum = minimum.ToString("R", CultureInfo.InvariantCulture);
        Maximum = maximum.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>Bounds written as HOCON values with units (<c>"64 KiB"</c>, <c>"5 s"</c>); <c>"max"</c> means no upper bound.</summary>
    public OptionRangeAttribute(string minimum, string maximum)
    {
        Minimum = minimum;
        Maximum = maximum;
    }

    /// <summary>The lower bound as written.</summary>
    public string Minimum { get; }

    /// <summary>The upper bound as written; <c>"max"</c> or the type's largest value means unbounded.</summary>
    public string Maximum { get; }

    /// <summary>Said after the range in the error, e.g. "0 picks a free port".</summary>
    public string? Hint { get; set; }
}
