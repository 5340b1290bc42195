using System.Reflection;
using System.Text;

namespace AkkaRepl.Core.Config;

/// <summary>
/// The rule from a property name to its HOCON key: kebab-case (<c>DataDir</c> -> <c>data-dir</c>), and a
/// <c>Bytes</c> suffix on a number is dropped because the unit is written in the value
/// (<c>SegmentSizeBytes</c> -> <c>segment-size = 64 MiB</c>; a plain number is bytes).
/// </summary>
public static class OptionKeys
{
    /// <summary>The HOCON key of an options property.</summary>
    public static string KeyOf(PropertyInfo property)
    {
        var name = property.Name;
        if (IsBytes(property) && name.Length > "Bytes".Length)
            name = name[..^"Bytes".Length];
        return Kebab(name);
    }

    /// <summary>True for a whole-number property named <c>*Bytes</c>: its value is read as a HOCON size.</summary>
    public static bool IsBytes(PropertyInfo property)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        return (type == typeof(long) || type == typeof(int)) && property.Name.EndsWith("Bytes", StringComparison.Ordinal);
    }

    /// <summary><c>ReadYourWrites</c> -> <c>read-your-writes</c>; <c>HTTPPort</c> -> <c>http-port</c>.</summary>
    public static string Kebab(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0)
            {
                var previous = name[i - 1];
                var nextIsLower = i + 1 < name.Length && char.IsLower(name[i + 1]);
                if (char.IsLower(previous) || char.IsDigit(previous) || (char.IsUpper(previous) && nextIsLower))
                    sb.Append('-');
            }
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}
