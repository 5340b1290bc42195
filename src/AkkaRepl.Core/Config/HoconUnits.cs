using System.Globalization;
using System.Text.RegularExpressions;

namespace AkkaRepl.Core.Config;

/// <summary>
/// HOCON's duration and size formats: a number, optional whitespace, an optional unit. A bare number is
/// milliseconds for a duration and bytes for a size. Duration units are lowercase only (ns, us, ms, s, m, h, d
/// and their long forms); size units follow HOCON: kB/MB/GB... are powers of 10, K/Ki/KiB/M/MiB... powers of 2.
/// </summary>
public static partial class HoconUnits
{
    private static readonly Dictionary<string, decimal> DurationTicks = BuildDurationUnits();
    private static readonly Dictionary<string, decimal> SizeMultipliers = BuildSizeUnits();

    [GeneratedRegex(@"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(\p{L}*)\s*$")]
    private static partial Regex NumberAndUnit();

    /// <summary>Parses <c>200 ms</c>, <c>200ms</c>, <c>5 s</c>, <c>1 minute</c>, <c>2h</c>; a bare number is milliseconds.
    /// TimeSpan counts 100 ns ticks, so finer values are rounded down to a tick.</summary>
    public static bool TryParseDuration(string? text, out TimeSpan value)
    {
        value = default;
        if (!TrySplit(text, out var number, out var unit))
            return false;
        if (!DurationTicks.TryGetValue(unit.Length == 0 ? "ms" : unit, out var ticksPerUnit))
            return false;
        try
        {
            var ticks = decimal.Truncate(number * ticksPerUnit);
            if (ticks > TimeSpan.MaxValue.Ticks || ticks < TimeSpan.MinValue.Ticks)
                return false;
            value = TimeSpan.FromTicks((long)ticks);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>Parses <c>64 MiB</c>, <c>512k</c>, <c>1 GiB</c>, <c>100 bytes</c>, <c>10 MB</c>; a bare number is bytes.
    /// The result must be a whole number of bytes that fits a long.</summary>
    public static bool TryParseBytes(string? text, out long value)
    {
        value = default;
        if (!TrySplit(text, out var number, out var unit))
            return false;
        if (!SizeMultipliers.TryGetValue(unit.Length == 0 ? "B" : unit, out var multiplier))
            return false;
        try
        {
            var bytes = number * multiplier;
            if (bytes != decimal.Truncate(bytes) || bytes > long.MaxValue || bytes < long.MinValue)
                return false;
            value = (long)bytes;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>Writes a size with the largest power-of-two unit that divides it exactly: <c>64 MiB</c>, <c>1000 B</c>.</summary>
    public static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        var i = 0;
        var n = bytes;
        while (i < units.Length - 1 && n != 0 && n % 1024 == 0)
        {
            n /= 1024;
            i++;
        }
        return $"{n.ToString(CultureInfo.InvariantCulture)} {units[i]}";
    }

    /// <summary>Writes a duration with the largest unit that divides it exactly: <c>200 ms</c>, <c>5 s</c>, <c>2 h</c>.</summary>
    public static string FormatDuration(TimeSpan duration)
    {
        (string Unit, long Ticks)[] units =
            [("d", TimeSpan.TicksPerDay), ("h", TimeSpan.TicksPerHour), ("m", TimeSpan.TicksPerMinute),
             ("s", TimeSpan.TicksPerSecond), ("ms", TimeSpan.TicksPerMillisecond), ("us", TimeSpan.TicksPerMicrosecond)];
        if (duration.Ticks == 0)
            return "0 ms";
        foreach (var (unit, ticks) in units)
        {
            if (duration.Ticks % ticks == 0)
                return $"{(duration.Ticks / ticks).ToString(CultureInfo.InvariantCulture)} {unit}";
        }
        return $"{(duration.Ticks * 100).ToString(CultureInfo.InvariantCulture)} ns";
    }

    private static bool TrySplit(string? text, out decimal number, out string unit)
    {
        number = default;
        unit = "";
        if (text is null)
            return false;
        var match = NumberAndUnit().Match(text);
        if (!match.Success ||
            !decimal.TryParse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out number))
            return false;
        unit = match.Groups[2].Value;
        return true;
    }

    private static Dictionary<string, decimal> BuildDurationUnits()
    {
        var units = new Dictionary<string, decimal>(StringComparer.Ordinal);
        void Add(decimal ticks, params string[] names)
        {
            foreach (var name in names)
                units[name] = ticks;
        }
        Add(0.01m, "ns", "nano", "nanos", "nanosecond", "nanoseconds");
        Add(10m, "us", "micro", "micros", "microsecond", "microseconds");
        Add(TimeSpan.TicksPerMillisecond, "ms", "milli", "millis", "millisecond", "milliseconds");
        Add(TimeSpan.TicksPerSecond, "s", "second", "seconds");
        Add(TimeSpan.TicksPerMinute, "m", "minute", "minutes");
        Add(TimeSpan.TicksPerHour, "h", "hour", "hours");
        Add(TimeSpan.TicksPerDay, "d", "day", "days");
        return units;
    }

    private static Dictionary<string, decimal> BuildSizeUnits()
    {
        var units = new Dictionary<string, decimal>(StringComparer.Ordinal) { ["B"] = 1, ["b"] = 1, ["byte"] = 1, ["bytes"] = 1 };
        string[] decimalNames = ["kilo", "mega", "giga", "tera", "peta", "exa", "zetta", "yotta"];
        string[] binaryNames = ["kibi", "mebi", "gibi", "tebi", "pebi", "exbi", "zebi", "yobi"];
        const string letters = "KMGTPEZY";
        decimal power10 = 1, power2 = 1;
        for (var i = 0; i < letters.Length; i++)
        {
            power10 *= 1000;
            power2 *= 1024;
            var upper = letters[i].ToString();
            // kB is the one powers-of-ten symbol with a lowercase first letter.
            units[(i == 0 ? "k" : upper) + "B"] = power10;
            units[decimalNames[i] + "byte"] = power10;
            units[decimalNames[i] + "bytes"] = power10;
            foreach (var name in new[] { upper, upper.ToLowerInvariant(), upper + "i", upper + "iB", binaryNames[i] + "byte", binaryNames[i] + "bytes" })
                units[name] = power2;
        }
        return units;
    }
}
