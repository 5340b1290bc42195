using AkkaRepl.Core.Errors;
using Microsoft.Extensions.Configuration;

namespace AkkaRepl.Core.Config;

/// <summary>Loads a <see cref="HoconConfigurationSource"/>: parse, resolve substitutions, flatten to <c>a:b:c</c> keys.</summary>
public sealed class HoconConfigurationProvider : ConfigurationProvider
{
    private readonly HoconConfigurationSource _source;

    /// <summary>Creates the provider; nothing is read until <see cref="Load"/>.</summary>
    public HoconConfigurationProvider(HoconConfigurationSource source) => _source = source;

    /// <inheritdoc />
    /// <exception cref="ConfigException">The file is missing (and not optional) or is not valid HOCON.</exception>
    public override void Load()
    {
        HoconObject root;
        if (_source.Path is { } path)
        {
            if (!File.Exists(path))
            {
                if (_source.Optional)
                {
                    Data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
                    return;
                }
                throw new ConfigException($"config file '{path}' not found");
            }
            root = HoconParser.ParseFile(path);
        }
        else
        {
            root = HoconParser.Parse(_source.Text ?? "", _source.SourceName, _source.BaseDirectory);
        }
        HoconResolver.Resolve(root, _source.Environment);
        Data = HoconFlattener.Flatten(root);
    }
}
