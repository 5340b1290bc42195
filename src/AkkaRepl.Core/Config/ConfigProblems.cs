using AkkaRepl.Core.Errors;

namespace AkkaRepl.Core.Config;

/// <summary>Turns every collected configuration problem into one exception, so a user fixes them all in one pass.</summary>
internal static class ConfigProblems
{
    public static ConfigException ToException(IReadOnlyCollection<string> problems) =>
        problems.Count == 1
            ? new ConfigException(problems.First())
            : new ConfigException($"{problems.Count} configuration problems:" + string.Concat(problems.Select(p => $"{Environment.NewLine}  {p}")));
}
