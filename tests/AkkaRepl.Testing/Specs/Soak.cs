using Xunit.Abstractions;

namespace AkkaRepl.Testing.Specs;

/// <summary>
/// The soak switch: <c>AKKAREPL_SOAK=1</c> makes specs run longer and harder (more operations, longer flapping, more
/// seeds) outside the normal test run, which keeps every test well under 10 s.
/// </summary>
public static class Soak
{
    /// <summary>The environment variable; "1" or "true" turns soak mode on.</summary>
    public const string Variable = "AKKAREPL_SOAK";

    /// <summary>True when soak mode is on.</summary>
    public static bool Enabled =>
        Environment.GetEnvironmentVariable(Variable) is { } value &&
        (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));

    /// <summary><paramref name="soak"/> in soak mode, else <paramref name="normal"/>.</summary>
    public static T Choose<T>(T normal, T soak) => Enabled ? soak : normal;

    /// <summary>Writes whether soak mode is on, so a log shows how the run was sized.</summary>
    public static void Describe(ITestOutputHelper output) =>
        output.WriteLine(Enabled ? $"soak mode ({Variable}=1): long run" : $"normal run (set {Variable}=1 to soak)");
}
