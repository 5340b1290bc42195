using AkkaRepl.Core.Errors;

namespace AkkaRepl.Core.Config;

/// <summary>
/// Applies the override layers onto the merged HOCON tree, before substitutions are resolved:
/// environment variables (<c>AKKAREPL__NODE__DATA_DIR</c> -> <c>akkarepl.node.data-dir</c>, literal strings),
/// <c>--set path=value</c> (the value is HOCON) and dedicated CLI flags (HOCON path -> literal string).
/// </summary>
internal static class HoconOverrides
{
    /// <summary>Environment variables that start with this (any case) are overrides.</summary>
    public const string EnvironmentPrefix = "AKKAREPL__";

    /// <summary><c>AKKAREPL__NODE__DATA_DIR</c> -> <c>akkarepl.node.data-dir</c>: segments split at <c>__</c>, lowercased, <c>_</c> -> <c>-</c>.</summary>
    public static string? EnvironmentNameToPath(string name)
    {
        if (!name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            return null;
        return string.Join('.', name.Split("__").Select(s => s.ToLowerInvariant().Replace('_', '-')));
    }

    public static void ApplyEnvironment(HoconObject root, IReadOnlyDictionary<string, string> environment, List<string> errors)
    {
        foreach (var (name, value) in environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
                continue;
            var segments = EnvironmentNameToPath(name)!.Split('.');
            if (segments.Any(s => s.Length == 0))
            {
                errors.Add($"environment variable {name} has an empty key segment: expected AKKAREPL__SECTION__KEY, e.g. AKKAREPL__NODE__DATA_DIR");
                continue;
            }
            var origin = SourcePosition.Whole($"environment variable {name}");
            SetPath(root, segments, new HoconScalar(value, HoconScalarKind.String, origin), errors);
        }
    }

    public static void ApplySet(HoconObject root, IReadOnlyList<string> entries, List<string> errors)
    {
        foreach (var entry in entries)
        {
            if (entry.IndexOf('=') <= 0)
            {
                errors.Add($"--set '{entry}' is not of the form path=value, e.g. --set akkarepl.node.resp-port=0");
                continue;
            }
            try
            {
                // The whole entry is one HOCON field, so quoting, units and substitutions work as in a file.
                root.MergeFrom(HoconParser.Parse(entry, $"--set '{entry}'"));
            }
            catch (ConfigException e)
            {
                errors.Add(e.Message);
            }
        }
    }

    public static void ApplyFlags(HoconObject root, IReadOnlyDictionary<string, string> flags, List<string> errors)
    {
        foreach (var (path, value) in flags)
        {
            IReadOnlyList<string> segments;
            try
            {
                segments = HoconParser.ParsePath(path, $"flag path '{path}'");
            }
            catch (ConfigException e)
            {
                errors.Add(e.Message);
                continue;
            }
            var origin = SourcePosition.Whole($"flag for {path}");
            SetPath(root, segments, new HoconScalar(value, HoconScalarKind.String, origin), errors);
        }
    }

    /// <summary>Sets one value, creating objects on the way; a numeric segment indexes an existing array (or appends at its end).</summary>
    private static void SetPath(HoconObject root, IReadOnlyList<string> segments, HoconScalar value, List<string> errors)
    {
        HoconNode container = root;
        for (var i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];
            var last = i == segments.Count - 1;
            if (container is HoconObject obj)
            {
                if (last)
                {
                    obj.Set(segment, value);
                    return;
                }
                if (!obj.TryGet(segment, out var child) || child is not (HoconObject or HoconArray))
                {
                    child = new HoconObject(value.Position);
                    obj.Set(segment, child);
                }
                container = child;
            }
            else if (container is HoconArray array)
            {
                var shown = string.Join('.', segments.Take(i));
                if (!int.TryParse(segment, out var index) || index < 0 || index > array.Items.Count)
                {
                    errors.Add($"{value.Position.Source}: {shown} is a list with {array.Items.Count} elements: '{segment}' is not an index 0..{array.Items.Count}");
                    return;
                }
                if (last)
                {
                    if (index == array.Items.Count)
                        array.Items.Add(value);
                    else
                        array.Items[index] = value;
                    return;
                }
                if (index == array.Items.Count || array.Items[index] is not (HoconObject or HoconArray))
                {
                    var element = new HoconObject(value.Position);
                    if (index == array.Items.Count)
                        array.Items.Add(element);
                    else
                        array.Items[index] = element;
                }
                container = array.Items[index];
            }
        }
    }
}
