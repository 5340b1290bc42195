using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Options;
using Microsoft.Extensions.Configuration;

namespace AkkaRepl.Core.Config;

/// <summary>
/// The one entry point the <c>akkarepl</c> command line calls. Layers, last wins: the embedded
/// <c>reference.conf</c> &lt; the config file &lt; <c>AKKAREPL__*</c> environment variables &lt; <c>--set path=value</c>
/// &lt; dedicated CLI flags. Layers merge as one HOCON tree, then substitutions resolve once (so a file may refer to a
/// default, and an override changes every value that refers to it), then the tree binds to <see cref="AkkaReplOptions"/>.
/// </summary>
public static class NodeConfigLoader
{
    /// <summary>The embedded resource (and its name in messages) holding every key with its default.</summary>
    public const string ReferenceName = "reference.conf";

    /// <summary>Loads and validates a node's options; nothing should start when this throws.</summary>
    /// <param name="configFile">The <c>--config</c> file, or null to run on the defaults.</param>
    /// <param name="setOverrides">Each <c>--set</c> argument, <c>path=value</c> with a HOCON value.</param>
    /// <param name="flagOverrides">HOCON path -> literal value, from dedicated flags such as <c>--data-dir</c>.</param>
    /// <param name="environment">The process environment: <c>AKKAREPL__*</c> overrides and substitution fallbacks.</param>
    /// <exception cref="ConfigException">Every problem found, one per line.</exception>
    public static AkkaReplOptions Load(string? configFile, IReadOnlyList<string> setOverrides,
        IReadOnlyDictionary<string, string> flagOverrides, IReadOnlyDictionary<string, string> environment)
    {
        var errors = new List<string>();
        var origins = new Dictionary<string, SourcePosition>(StringComparer.OrdinalIgnoreCase);
        var configuration = Build(configFile, setOverrides, flagOverrides, environment, errors, origins);
        // Problems start with where the value was written: a file position, an environment variable, a flag.
        var binder = new OptionsBinder(errors, typeof(AkkaReplOptions), AkkaReplOptionsBinder.RootPath, origins);
        var section = configuration.GetSection(AkkaReplOptionsBinder.RootPath);
        var options = (AkkaReplOptions)binder.BindRecord(typeof(AkkaReplOptions), section, AkkaReplOptionsBinder.RootPath);
        binder.Validate(options, AkkaReplOptionsBinder.RootPath);
        if (errors.Count > 0)
            throw ConfigProblems.ToException(errors);
        return options;
    }

    /// <summary>The same layers as <see cref="Load"/>, as a configuration (for sections outside <c>akkarepl</c>).</summary>
    /// <exception cref="ConfigException">A file, override or substitution is bad.</exception>
    public static IConfigurationRoot LoadConfiguration(string? configFile, IReadOnlyList<string> setOverrides,
        IReadOnlyDictionary<string, string> flagOverrides, IReadOnlyDictionary<string, string> environment)
    {
        var errors = new List<string>();
        var configuration = Build(configFile, setOverrides, flagOverrides, environment, errors, null);
        if (errors.Count > 0)
            throw ConfigProblems.ToException(errors);
        return configuration;
    }

    /// <summary>A snapshot of the process environment, in the shape <see cref="Load"/> takes.</summary>
    public static IReadOnlyDictionary<string, string> ProcessEnvironment() =>
        System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);

    /// <summary>The text of the embedded <c>reference.conf</c>.</summary>
    public static string ReadReference()
    {
        using var stream = typeof(NodeConfigLoader).Assembly.GetManifestResourceStream(ReferenceName)
            ?? throw new InvalidOperationException($"{ReferenceName} is not embedded in {typeof(NodeConfigLoader).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static IConfigurationRoot Build(string? configFile, IReadOnlyList<string> setOverrides,
        IReadOnlyDictionary<string, string> flagOverrides, IReadOnlyDictionary<string, string> environment, List<string> errors,
        Dictionary<string, SourcePosition>? origins)
    {
        ArgumentNullException.ThrowIfNull(setOverrides);
        ArgumentNullException.ThrowIfNull(flagOverrides);
        ArgumentNullException.ThrowIfNull(environment);
        var root = HoconParser.Parse(ReadReference(), ReferenceName);
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
                errors.Add($"config file '{configFile}' not found");
            else
            {
                try
                {
                    root.MergeFrom(HoconParser.ParseFile(configFile));
                }
                catch (ConfigException e)
                {
                    errors.Add(e.Message);
                }
            }
        }
        HoconOverrides.ApplyEnvironment(root, environment, errors);
        HoconOverrides.ApplySet(root, setOverrides, errors);
        HoconOverrides.ApplyFlags(root, flagOverrides, errors);
        // A file that failed to parse would only add confusing follow-up errors.
        if (errors.Count == 0)
            HoconResolver.Resolve(root, name => environment.TryGetValue(name, out var value) ? value : null, errors);
        return new ConfigurationBuilder().AddInMemoryCollection(HoconFlattener.Flatten(root, origins)).Build();
    }
}
