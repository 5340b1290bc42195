using Microsoft.Extensions.Configuration;

namespace AkkaRepl.Core.Config;

/// <summary>
/// A HOCON file or string as a Microsoft.Extensions.Configuration source. Substitutions are resolved within this
/// source (falling back to environment variables); to resolve across layers use <see cref="NodeConfigLoader"/>.
/// </summary>
public sealed class HoconConfigurationSource : IConfigurationSource
{
    /// <summary>The file to read; relative includes are looked up next to it. Set this or <see cref="Text"/>.</summary>
    public string? Path { get; set; }

    /// <summary>HOCON text to read instead of a file.</summary>
    public string? Text { get; set; }

    /// <summary>The name of <see cref="Text"/> in error messages (<c>name:line:column:</c>).</summary>
    public string SourceName { get; set; } = "<string>";

    /// <summary>Where includes in <see cref="Text"/> are looked up; null means the current directory.</summary>
    public string? BaseDirectory { get; set; }

    /// <summary>When true a missing <see cref="Path"/> yields no keys instead of an error.</summary>
    public bool Optional { get; set; }

    /// <summary>Where a substitution not found in the tree is looked up; the process environment by default.</summary>
    public Func<string, string?> Environment { get; set; } = System.Environment.GetEnvironmentVariable;

    /// <inheritdoc />
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new HoconConfigurationProvider(this);
}
