namespace AkkaRepl.Core.Config;

/// <summary>
/// Turns a resolved tree into Microsoft.Extensions.Configuration keys: <c>akkarepl.wal.segment-size</c> becomes
/// <c>akkarepl:wal:segment-size</c>, array elements <c>:0</c>, <c>:1</c>. An empty array becomes the empty
/// string (so a list can be set to empty); null stays null.
/// </summary>
internal static class HoconFlattener
{
    public static Dictionary<string, string?> Flatten(HoconObject root) => Flatten(root, null);

    /// <summary>Flattens, and records where each key's value (or object) was written, by configuration key.</summary>
    public static Dictionary<string, string?> Flatten(HoconObject root, Dictionary<string, SourcePosition>? origins)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        Walk(root, null, data, origins);
        return data;
    }

    private static void Walk(HoconNode node, string? prefix, Dictionary<string, string?> data, Dictionary<string, SourcePosition>? origins)
    {
        if (prefix is not null && origins is not null)
            origins[prefix] = node.Position;
        switch (node)
        {
            case HoconObject obj:
                foreach (var key in obj.Keys)
                    Walk(obj[key], prefix is null ? key : $"{prefix}:{key}", data, origins);
                break;
            case HoconArray array:
                if (array.Items.Count == 0 && prefix is not null)
                    data[prefix] = "";
                for (var i = 0; i < array.Items.Count; i++)
                    Walk(array.Items[i], $"{prefix}:{i}", data, origins);
                break;
            case HoconScalar scalar when prefix is not null:
                data[prefix] = scalar.Kind == HoconScalarKind.Null ? null : scalar.Text;
                break;
        }
    }
}
