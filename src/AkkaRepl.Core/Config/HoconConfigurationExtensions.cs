using Microsoft.Extensions.Configuration;

namespace AkkaRepl.Core.Config;

/// <summary>Adds HOCON files and strings to an <see cref="IConfigurationBuilder"/>.</summary>
public static class HoconConfigurationExtensions
{
    /// <summary>Adds a HOCON file; keys become <c>akkarepl:wal:segment-size</c>, array elements <c>:0</c>, <c>:1</c>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="path">The file; relative includes in it are relative to its directory.</param>
    /// <param name="optional">When true a missing file adds nothing; otherwise it is an error naming the file.</param>
    public static IConfigurationBuilder AddHoconFile(this IConfigurationBuilder builder, string path, bool optional = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(path);
        return builder.Add(new HoconConfigurationSource { Path = path, Optional = optional });
    }

    /// <summary>Adds HOCON text.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="text">The HOCON document.</param>
    /// <param name="sourceName">Its name in error messages.</param>
    /// <param name="baseDirectory">Where its includes are looked up; null means the current directory.</param>
    public static IConfigurationBuilder AddHoconString(this IConfigurationBuilder builder, string text,
        string sourceName = "<string>", string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(text);
        return builder.Add(new HoconConfigurationSource { Text = text, SourceName = sourceName, BaseDirectory = baseDirectory });
    }

    /// <summary>
    /// Adds <c>AKKAREPL__*</c> environment variables under AkkaRepl's naming rule (<c>AKKAREPL__NODE__DATA_DIR</c> ->
    /// <c>akkarepl:node:data-dir</c>; <c>_</c> inside a segment is <c>-</c>). Microsoft's own
    /// <c>AddEnvironmentVariables</c> keeps the <c>_</c>, so it cannot set kebab-case keys. Values are literal strings.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="environment">The variables to read; null reads the process environment now.</param>
    public static IConfigurationBuilder AddAkkaReplEnvironmentVariables(this IConfigurationBuilder builder,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        environment ??= NodeConfigLoader.ProcessEnvironment();
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in environment)
        {
            if (HoconOverrides.EnvironmentNameToPath(name) is { } path)
                data[path.Replace('.', ':')] = value;
        }
        return builder.AddInMemoryCollection(data);
    }

    /// <summary>Adds the embedded <c>reference.conf</c>: every key with its documented default. Add it first.</summary>
    public static IConfigurationBuilder AddAkkaReplReference(this IConfigurationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddHoconString(NodeConfigLoader.ReadReference(), NodeConfigLoader.ReferenceName);
    }
}
