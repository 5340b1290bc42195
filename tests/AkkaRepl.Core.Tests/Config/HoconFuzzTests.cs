using AkkaRepl.Core.Config;
using AkkaRepl.Core.Errors;
using AkkaRepl.Testing.Specs;

namespace AkkaRepl.Core.Tests.Config;

public sealed class HoconFuzzTests
{
    // Fragments real files are made of, so random text reaches deep into the parser and resolver.
    private static readonly string[] Fragments =
    [
        "a", "b.c", "\"q\"", "\"\"\"t\"\"\"", "=", ":", "{", "}", "[", "]", ",", "\n", " ", "#c\n", "//c\n", "${a}", "${?b.c}",
        "${", "+=", "1", "-2.5e3", "5 s", "64 MiB", "true", "null", "include \"x.conf\"", "include required(\"y\")", "\\", "\"",
        "$", "..", "\"\\u00\"", "\r\n",
    ];

    [Fact(Timeout = 10_000)]
    public async Task Random_text_either_parses_or_fails_with_a_config_exception_that_names_a_position()
    {
        await Task.Yield();
        using var dir = new TempDirectory(); // empty, so the includes in the fragments find nothing
        // 3,000 inputs missed a string cut off after its backslash; 300,000 found it. AKKAREPL_SOAK=1 runs 1,000,000.
        var random = new Random(20261123);
        for (var i = 0; i < Soak.Choose(30_000, 1_000_000); i++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(1, 24)).Select(_ => Fragments[random.Next(Fragments.Length)]));
            try
            {
                var root = HoconParser.Parse(text, "fuzz.conf", dir.Path);
                HoconResolver.Resolve(root, _ => null);
                HoconFlattener.Flatten(root);
            }
            catch (ConfigException e)
            {
                Assert.True(e.Message.StartsWith("fuzz.conf:", StringComparison.Ordinal) || e.Message.Contains("configuration problems:", StringComparison.Ordinal),
                    $"input {text}: {e.Message}");
            }
            catch (Exception e)
            {
                Assert.Fail($"input {text}: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    [Fact(Timeout = 10_000)]
    public async Task Random_values_for_every_key_either_bind_or_fail_with_a_config_exception()
    {
        await Task.Yield();
        string[] values =
        [
            "0", "-1", "1", "65536", "99999999999999999999", "1.5", "5 s", "64 MiB", "1 EiB", "off", "on", "null", "\"\"",
            "[]", "{}", "[{}]", "[{ id = n1 }]", "abc", "\"a b\"", "${?nothing}", "quorum", "replicas 0", "block",
        ];
        var keys = AkkaReplOptionsBinder.AllKeyPaths();
        var random = new Random(7);
        var none = new Dictionary<string, string>();
        for (var i = 0; i < 100; i++)
        {
            var set = Enumerable.Range(0, random.Next(1, 4))
                .Select(_ => $"{keys[random.Next(keys.Count)]}={values[random.Next(values.Length)]}")
                .ToArray();
            try
            {
                NodeConfigLoader.Load(null, set, none, none);
            }
            catch (ConfigException)
            {
                // expected for most combinations
            }
            catch (Exception e)
            {
                Assert.Fail($"--set {string.Join(" --set ", set)}: {e.GetType().Name}: {e.Message}");
            }
        }
    }
}
