using AkkaRepl.Core.Config;
using AkkaRepl.Core.Errors;

namespace AkkaRepl.Core.Tests.Config;

/// <summary>Parse, resolve and flatten in one call, as the configuration provider does.</summary>
internal static class HoconTestKit
{
    public static Dictionary<string, string?> Flatten(string text, IReadOnlyDictionary<string, string>? environment = null,
        string source = "test.conf", string? baseDirectory = null)
    {
        var root = HoconParser.Parse(text, source, baseDirectory);
        HoconResolver.Resolve(root, name => environment is not null && environment.TryGetValue(name, out var v) ? v : null);
        return HoconFlattener.Flatten(root);
    }

    public static string ErrorOf(string text, IReadOnlyDictionary<string, string>? environment = null) =>
        Assert.Throws<ConfigException>(() => Flatten(text, environment)).Message;

    public static string Lines(params string[] lines) => string.Join(Environment.NewLine, lines);
}
