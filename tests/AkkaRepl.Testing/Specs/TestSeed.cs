using System.Globalization;
using Xunit.Abstractions;

namespace AkkaRepl.Testing.Specs;

/// <summary>
/// Picks the seed of a randomized test and prints it, so any run can be repeated: <c>AKKAREPL_SEED</c> wins, then the
/// seed pinned in the test, then a fresh one. Put the returned seed in every assertion message.
/// </summary>
public static class TestSeed
{
    /// <summary>The environment variable that forces a seed, e.g. <c>AKKAREPL_SEED=1234 dotnet test --filter ...</c>.</summary>
    public const string Variable = "AKKAREPL_SEED";

    /// <summary>
    /// The seed to use: <c>AKKAREPL_SEED</c> when set, else <paramref name="pinned"/>, else a fresh random one.
    /// Writes "seed=N (rerun with AKKAREPL_SEED=N)" to <paramref name="output"/>.
    /// </summary>
    /// <exception cref="FormatException">AKKAREPL_SEED is set but is not an integer.</exception>
    public static int Pick(ITestOutputHelper? output, int? pinned = null)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(Variable);
        int seed;
        string source;
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            seed = int.TryParse(fromEnvironment, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw new FormatException($"{Variable}='{fromEnvironment}' is not an integer seed.");
            source = Variable;
        }
        else if (pinned is { } p)
        {
            seed = p;
            source = "pinned";
        }
        else
        {
            seed = Random.Shared.Next();
            source = "fresh";
        }
        output?.WriteLine($"seed={seed} ({source}; rerun with {Variable}={seed})");
        return seed;
    }
}
