using System.Collections;
using System.Globalization;
using System.Reflection;
using AkkaRepl.Core.Options;
using Microsoft.Extensions.Configuration;

namespace AkkaRepl.Core.Config;

/// <summary>
/// Binds configuration sections to options records by reflection over their public init properties, so a new
/// record or property binds without code here. Collects every problem (unknown keys, wrong types, ranges,
/// cross-field rules) instead of stopping at the first.
/// </summary>
internal sealed class OptionsBinder
{
    private readonly List<string> _errors;
    private readonly Type _rootType;
    private readonly string _rootPath;
    private readonly Dictionary<string, string?> _raw = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _failed = new(StringComparer.OrdinalIgnoreCase);

    private readonly IReadOnlyDictionary<string, SourcePosition>? _origins;

    /// <param name="errors">Where problems are collected.</param>
    /// <param name="rootType">The record bound at <paramref name="rootPath"/> (for "did you mean" across sections).</param>
    /// <param name="rootPath">The HOCON path of the root record.</param>
    /// <param name="origins">Where each configuration key was written; when known a problem starts with it.</param>
    public OptionsBinder(List<string> errors, Type rootType, string rootPath,
        IReadOnlyDictionary<string, SourcePosition>? origins = null)
    {
        _errors = errors;
        _rootType = rootType;
        _rootPath = rootPath;
        _origins = origins;
    }

    /// <summary>The settable properties of an options record by HOCON key.</summary>
    public static IReadOnlyList<(string Key, PropertyInfo Property)> PropertiesOf(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0)
            .Select(p => (OptionKeys.KeyOf(p), p))
            .ToList();

    public static bool IsRecord(Type type) =>
        type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type) &&
        type.GetConstructor(Type.EmptyTypes) is not null;

    public static bool IsList(Type type, out Type element)
    {
        element = typeof(object);
        if (type.IsArray)
        {
            element = type.GetElementType()!;
            return true;
        }
        if (!type.IsGenericType)
            return false;
        var definition = type.GetGenericTypeDefinition();
        if (definition != typeof(IReadOnlyList<>) && definition != typeof(IReadOnlyCollection<>) &&
            definition != typeof(IEnumerable<>) && definition != typeof(IList<>) && definition != typeof(List<>))
            return false;
        element = type.GetGenericArguments()[0];
        return true;
    }

    /// <summary>Binds a record; <paramref name="current"/> (the parent's default for this property) is copied, never changed.</summary>
    public object BindRecord(Type type, IConfigurationSection section, string path, object? current = null)
    {
        // Start from the parent's default (which may differ from the record's own), on a copy: it may be shared.
        var instance = current is null ? Activator.CreateInstance(type)! : ShallowCopy(current);
        var children = section.GetChildren().ToList();
        var properties = PropertiesOf(type);
        if (children.Count == 0)
        {
            if (!string.IsNullOrEmpty(section.Value))
                Fail(path, $"{path} = {Show(section.Value)} must be an object with the keys: {string.Join(", ", properties.Select(p => p.Key))}");
            return instance;
        }
        foreach (var child in children)
        {
            var childPath = $"{path}.{child.Key}";
            var match = properties.FirstOrDefault(p => string.Equals(p.Key, child.Key, StringComparison.OrdinalIgnoreCase));
            if (match.Property is null)
            {
                Fail(childPath, UnknownKey(childPath, child.Key, path, properties.Select(p => p.Key).ToList()));
                continue;
            }
            if (TryBind(match.Property.PropertyType, match.Property, child, childPath, match.Property.GetValue(instance), out var value))
                match.Property.SetValue(instance, value);
        }
        return instance;
    }

    /// <summary>Checks ranges, then each record's cross-field rules, depth first.</summary>
    public void Validate(object record, string path)
    {
        foreach (var (key, property) in PropertiesOf(record.GetType()))
        {
            var childPath = $"{path}.{key}";
            var value = property.GetValue(record);
            if (value is null || _failed.Contains(childPath))
                continue;
            if (property.GetCustomAttribute<OptionRangeAttribute>() is { } range)
                CheckRange(property, value, range, childPath);
            if (IsRecord(property.PropertyType))
                Validate(value, childPath);
            else if (IsList(property.PropertyType, out var element) && IsRecord(element))
            {
                var i = 0;
                foreach (var item in (IEnumerable)value)
                {
                    if (item is not null)
                        Validate(item, $"{childPath}[{i}]");
                    i++;
                }
            }
        }
        // Cross-field rules only make sense once every field of the record is itself valid.
        if (record is IValidatableOptions validatable &&
            !_failed.Any(f => f.StartsWith(path + ".", StringComparison.OrdinalIgnoreCase) || f.StartsWith(path + "[", StringComparison.OrdinalIgnoreCase)))
            validatable.Validate(new OptionsValidationContext(path, record.GetType(), _errors));
    }

    private bool TryBind(Type type, PropertyInfo? property, IConfigurationSection section, string path, object? current, out object? value)
    {
        value = null;
        var children = section.GetChildren().ToList();
        if (IsList(type, out var element))
            return TryBindList(type, element, section, children, path, out value);
        if (IsRecord(type))
        {
            if (children.Count == 0 && section.Value is null)
                return false; // explicit null: keep the defaults
            value = BindRecord(type, section, path, current);
            return true;
        }
        if (children.Count > 0)
        {
            Fail(path, $"{path} must be a single value, found an object");
            return false;
        }
        return TryConvert(type, property, section.Value, path, out value);
    }

    private bool TryBindList(Type type, Type element, IConfigurationSection section, List<IConfigurationSection> children,
        string path, out object? value)
    {
        value = null;
        var items = new List<object?>();
        if (children.Count == 0)
        {
            if (section.Value != "")
            {
                Fail(path, $"{path} = {Show(section.Value)} must be a list: [ ... ]");
                return false;
            }
        }
        else
        {
            var indexed = new List<(int Index, IConfigurationSection Section)>();
            foreach (var child in children)
            {
                if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    Fail(path, $"{path} must be a list: [ ... ], found an object with the key '{child.Key}'");
                    return false;
                }
                indexed.Add((index, child));
            }
            indexed.Sort((a, b) => a.Index.CompareTo(b.Index));
            for (var i = 0; i < indexed.Count; i++)
            {
                if (indexed[i].Index != i)
                {
                    Fail(path, $"{path} has no element {i} but has element {indexed[i].Index}: list elements are numbered from 0 without gaps");
                    return false;
                }
                var itemPath = $"{path}[{i}]";
                if (TryBind(element, null, indexed[i].Section, itemPath, null, out var item))
                    items.Add(item);
                else if (!_failed.Contains(itemPath))
                    Fail(itemPath, $"{itemPath} is null: expected {Expectation(element, null, out _)}");
            }
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() is var d && (d == typeof(List<>) || d == typeof(IList<>)))
        {
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
            foreach (var item in items)
                list.Add(item);
            value = list;
        }
        else
        {
            var array = Array.CreateInstance(element, items.Count);
            for (var i = 0; i < items.Count; i++)
                array.SetValue(items[i], i);
            value = array;
        }
        return true;
    }

    private bool TryConvert(Type type, PropertyInfo? property, string? raw, string path, out object? value)
    {
        value = null;
        _raw[path] = raw;
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            // null or off switches a nullable option off.
            if (raw is null || string.Equals(raw, "off", StringComparison.OrdinalIgnoreCase))
                return true;
            type = underlying;
        }
        var expectation = Expectation(type, property, out var noun);
        if (raw is null && property is not null && !type.IsValueType &&
            new NullabilityInfoContext().Create(property).WriteState == NullabilityState.Nullable)
            return true; // a nullable reference (string?) set to null
        if (raw is null)
        {
            Fail(path, $"{path} is null: expected {expectation}");
            return false;
        }
        var ok = true;
        if (type == typeof(string))
            value = raw;
        else if (type == typeof(bool))
        {
            switch (raw.ToLowerInvariant())
            {
                case "true" or "yes" or "on": value = true; break;
                case "false" or "no" or "off": value = false; break;
                default: ok = false; break;
            }
        }
        else if (type == typeof(int) || type == typeof(long))
        {
            long number;
            ok = property is not null && OptionKeys.IsBytes(property)
                ? HoconUnits.TryParseBytes(raw, out number)
                : long.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number);
            if (ok && type == typeof(int))
            {
                if (number is < int.MinValue or > int.MaxValue)
                {
                    var range = property?.GetCustomAttribute<OptionRangeAttribute>();
                    Fail(path, $"{path} = {Show(raw)} is out of range: expected {RangeText(type, property, range)}");
                    return false;
                }
                value = (int)number;
            }
            else if (ok)
                value = number;
        }
        else if (type == typeof(double))
        {
            ok = double.TryParse(raw.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d);
            value = d;
        }
        else if (type == typeof(TimeSpan))
        {
            ok = HoconUnits.TryParseDuration(raw, out var t);
            value = t;
        }
        else if (type.IsEnum)
        {
            var name = Enum.GetNames(type).FirstOrDefault(n =>
                string.Equals(OptionKeys.Kebab(n), raw.Trim(), StringComparison.OrdinalIgnoreCase) ||
                string.Equals(n, raw.Trim(), StringComparison.OrdinalIgnoreCase));
            ok = name is not null;
            if (ok)
                value = Enum.Parse(type, name!);
        }
        else
        {
            Fail(path, $"{path}: a property of type {type.Name} cannot be set from configuration");
            return false;
        }
        if (!ok)
            Fail(path, $"{path} = {Show(raw)} is not {noun}: expected {expectation}");
        return ok;
    }

    private static string Expectation(Type type, PropertyInfo? property, out string noun)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        var range = property?.GetCustomAttribute<OptionRangeAttribute>();
        if (property is not null && OptionKeys.IsBytes(property))
        {
            noun = "a size";
            return range is null
                ? "a size such as 512 KiB, 64 MiB or 1 GB (a plain number is bytes)"
                : $"a size in {RangeText(type, property, range)} such as 512 KiB or 64 MiB (a plain number is bytes)";
        }
        if (type == typeof(TimeSpan))
        {
            noun = "a duration";
            return (range is null ? "a duration" : $"a duration in {RangeText(type, property, range)}") +
                   " such as 200 ms, 5 s or 1 minute (units ns, us, ms, s, m, h, d; a plain number is milliseconds)";
        }
        if (type == typeof(int) || type == typeof(long))
        {
            noun = "a whole number";
            return RangeText(type, property, range);
        }
        if (type == typeof(double))
        {
            noun = "a number";
            return range is null ? "a number such as 0.5" : RangeText(type, property, range);
        }
        if (type == typeof(bool))
        {
            noun = "a boolean";
            return "true or false (yes/no and on/off also work)";
        }
        if (type.IsEnum)
        {
            noun = "a valid choice";
            return "one of " + string.Join(", ", Enum.GetNames(type).Select(OptionKeys.Kebab));
        }
        noun = "a string";
        return "a string";
    }

    private void CheckRange(PropertyInfo property, object value, OptionRangeAttribute range, string path)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        bool inRange;
        if (type == typeof(TimeSpan))
        {
            var (min, max) = (ParseDurationBound(range.Minimum, TimeSpan.MinValue), ParseDurationBound(range.Maximum, TimeSpan.MaxValue));
            var t = (TimeSpan)value;
            inRange = t >= min && t <= max;
        }
        else if (type == typeof(double))
        {
            var (min, max) = (double.Parse(range.Minimum, CultureInfo.InvariantCulture), IsMax(range.Maximum) ? double.MaxValue : double.Parse(range.Maximum, CultureInfo.InvariantCulture));
            var d = (double)value;
            inRange = d >= min && d <= max;
        }
        else
        {
            var (min, max) = LongBounds(type, property, range);
            var n = Convert.ToInt64(value, CultureInfo.InvariantCulture);
            inRange = n >= min && n <= max;
        }
        if (!inRange)
            Fail(path, $"{path} = {Shown(path, property, value)} is out of range: expected {RangeText(type, property, range)}");
    }

    private static bool IsMax(string bound) => string.Equals(bound, "max", StringComparison.OrdinalIgnoreCase);

    private static TimeSpan ParseDurationBound(string bound, TimeSpan whenMax) =>
        IsMax(bound) ? whenMax :
        HoconUnits.TryParseDuration(bound, out var t) ? t : throw new InvalidOperationException($"bad duration bound '{bound}'");

    private static (long Min, long Max) LongBounds(Type type, PropertyInfo? property, OptionRangeAttribute? range)
    {
        long typeMin = type == typeof(int) ? int.MinValue : long.MinValue;
        long typeMax = type == typeof(int) ? int.MaxValue : long.MaxValue;
        if (range is null)
            return (typeMin, typeMax);
        var bytes = property is not null && OptionKeys.IsBytes(property);
        long Parse(string bound, long whenMax)
        {
            if (IsMax(bound))
                return whenMax;
            var ok = bytes ? HoconUnits.TryParseBytes(bound, out var n) : long.TryParse(bound, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n);
            return ok ? n : throw new InvalidOperationException($"bad bound '{bound}' on {property?.Name}");
        }
        return (Parse(range.Minimum, typeMin), Math.Min(Parse(range.Maximum, typeMax), typeMax));
    }

    private static string RangeText(Type type, PropertyInfo? property, OptionRangeAttribute? range)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        string text;
        if (type == typeof(TimeSpan))
        {
            var min = ParseDurationBound(range!.Minimum, TimeSpan.MinValue);
            var max = ParseDurationBound(range.Maximum, TimeSpan.MaxValue);
            text = max == TimeSpan.MaxValue ? $"at least {HoconUnits.FormatDuration(min)}" : $"{HoconUnits.FormatDuration(min)}..{HoconUnits.FormatDuration(max)}";
        }
        else if (type == typeof(double))
        {
            text = IsMax(range!.Maximum) ? $"at least {range.Minimum}" : $"{range.Minimum}..{range.Maximum}";
        }
        else
        {
            var (min, max) = LongBounds(type, property, range);
            var typeMax = type == typeof(int) ? int.MaxValue : long.MaxValue;
            var bytes = property is not null && OptionKeys.IsBytes(property);
            string Format(long n) => bytes ? HoconUnits.FormatBytes(n) : n.ToString(CultureInfo.InvariantCulture);
            text = max == typeMax && range is not null ? $"at least {Format(min)}" : $"{Format(min)}..{Format(max)}";
        }
        return range?.Hint is { } hint ? $"{text} ({hint})" : text;
    }

    private string Shown(string path, PropertyInfo property, object value)
    {
        if (_raw.TryGetValue(path, out var raw))
            return Show(raw);
        return value switch
        {
            TimeSpan t => HoconUnits.FormatDuration(t),
            long or int when OptionKeys.IsBytes(property) => HoconUnits.FormatBytes(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
    }

    private static string Show(string? raw) => raw is null ? "null" : raw.Length == 0 ? "\"\"" : raw;

    private string UnknownKey(string path, string key, string recordPath, IReadOnlyList<string> validKeys)
    {
        var nearest = validKeys
            .Select(k => (Key: k, Distance: Levenshtein(key.ToLowerInvariant(), k)))
            .OrderBy(c => c.Distance)
            .FirstOrDefault();
        if (nearest.Key is not null && nearest.Distance <= Math.Max(2, key.Length / 3))
            return $"{path} is not a known key; did you mean {recordPath}.{nearest.Key}?";
        // The key may exist in another section: akkarepl.node.segment-size -> akkarepl.wal.segment-size.
        var elsewhere = AllPaths(_rootType, _rootPath).FirstOrDefault(p => p.EndsWith("." + key, StringComparison.OrdinalIgnoreCase));
        if (elsewhere is not null)
            return $"{path} is not a known key; did you mean {elsewhere}?";
        return validKeys.Count == 0
            ? $"{path} is not a known key; {recordPath} has no keys"
            : $"{path} is not a known key; the keys of {recordPath} are: {string.Join(", ", validKeys)}";
    }

    /// <summary>Every leaf key path under a record type (list elements as <c>[0]</c>).</summary>
    public static IEnumerable<string> AllPaths(Type type, string path)
    {
        foreach (var (key, property) in PropertiesOf(type))
        {
            var childPath = $"{path}.{key}";
            if (IsRecord(property.PropertyType))
            {
                foreach (var p in AllPaths(property.PropertyType, childPath))
                    yield return p;
            }
            else
            {
                yield return childPath;
            }
        }
    }

    private static readonly MethodInfo CloneMethod =
        typeof(object).GetMethod("MemberwiseClone", BindingFlags.NonPublic | BindingFlags.Instance)!;

    private static object ShallowCopy(object record) => CloneMethod.Invoke(record, null)!;

    private static int Levenshtein(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    private void Fail(string path, string message)
    {
        _failed.Add(path);
        // akkarepl.members[0].port is the configuration key akkarepl:members:0:port.
        var key = path.Replace("]", "").Replace('[', ':').Replace('.', ':');
        _errors.Add(_origins is not null && _origins.TryGetValue(key, out var origin) ? $"{origin}: {message}" : message);
    }
}
