using static AkkaRepl.Core.Tests.Config.HoconTestKit;

namespace AkkaRepl.Core.Tests.Config;

public sealed class HoconSubstitutionTests
{
    [Fact(Timeout = 10_000)]
    public async Task A_substitution_may_refer_forward()
    {
        await Task.Yield();
        var data = Flatten("a = ${b}\nb = 5");
        Assert.Equal("5", data["a"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_substitution_of_an_object_copies_the_whole_object()
    {
        await Task.Yield();
        var data = Flatten("x { y = 1, z = [a] }\nw = ${x}");
        Assert.Equal("1", data["w:y"]);
        Assert.Equal("a", data["w:z:0"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_substitution_sees_the_last_value_assigned_to_its_path()
    {
        await Task.Yield();
        var data = Flatten("b = 1\na = ${b}\nb = 2");
        Assert.Equal("2", data["a"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task Substitutions_concatenate_with_text_around_them()
    {
        await Task.Yield();
        var data = Flatten("dir = ${base}/data \"and more\"\nbase = \"/var/lib\"");
        Assert.Equal("/var/lib/data and more", data["dir"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task An_object_may_refer_to_its_own_other_fields()
    {
        await Task.Yield();
        var data = Flatten("bar { foo = 42, baz = ${bar.foo} }");
        Assert.Equal("42", data["bar:baz"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_missing_optional_substitution_leaves_the_key_unset()
    {
        await Task.Yield();
        var data = Flatten("a = ${?nope}\nb = [1, ${?nope}]\nc = x${?nope}y");
        Assert.False(data.ContainsKey("a"));
        Assert.Equal(new[] { "1" }, new[] { data["b:0"] });
        Assert.False(data.ContainsKey("b:1"));
        Assert.Equal("xy", data["c"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task An_undefined_optional_substitution_keeps_the_earlier_value_of_the_field()
    {
        await Task.Yield();
        var text = "a = default\na = ${?A_OVERRIDE}\nb.c = 1\nb.c = ${?B_OVERRIDE}";
        var data = Flatten(text);
        Assert.Equal("default", data["a"]);
        Assert.Equal("1", data["b:c"]);
        var overridden = Flatten(text, new Dictionary<string, string> { ["A_OVERRIDE"] = "env" });
        Assert.Equal("env", overridden["a"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_path_missing_from_the_tree_falls_back_to_the_environment_variable_of_that_name()
    {
        await Task.Yield();
        var data = Flatten("home = ${HOME_DIR}\nopt = ${?OPT}", new Dictionary<string, string> { ["HOME_DIR"] = "/home/x", ["OPT"] = "y" });
        Assert.Equal("/home/x", data["home"]);
        Assert.Equal("y", data["opt"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_value_in_the_tree_wins_over_the_environment_even_when_it_is_null()
    {
        await Task.Yield();
        var environment = new Dictionary<string, string> { ["X"] = "env", ["N"] = "env" };
        var data = Flatten("X = tree\nN = null\na = ${X}\nb = ${N}", environment);
        Assert.Equal("tree", data["a"]);
        Assert.Null(data["b"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_missing_required_substitution_is_reported_with_its_position()
    {
        await Task.Yield();
        Assert.Equal("test.conf:2:5: cannot resolve ${nope.x}: no such key in the configuration and no environment variable named 'nope.x' (use ${?nope.x} if it may be missing)",
            ErrorOf("a = 1\nb = ${nope.x}"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_cycle_is_reported_with_the_chain_of_paths()
    {
        await Task.Yield();
        Assert.Equal("test.conf:1:5: substitution cycle: ${b} -> ${c} -> ${a} -> ${b}", ErrorOf("a = ${b}\nb = ${c}\nc = ${a}"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_substitution_of_an_object_that_contains_it_is_a_cycle()
    {
        await Task.Yield();
        Assert.Equal("test.conf:1:9: substitution cycle: ${a} refers to 'a', which contains it", ErrorOf("a { b = ${a} }"));
    }

    [Fact(Timeout = 10_000)]
    public async Task Every_unresolvable_substitution_is_reported_together()
    {
        await Task.Yield();
        Assert.Equal(Lines("2 configuration problems:",
                "  test.conf:1:5: cannot resolve ${x}: no such key in the configuration and no environment variable named 'x' (use ${?x} if it may be missing)",
                "  test.conf:2:5: cannot resolve ${y}: no such key in the configuration and no environment variable named 'y' (use ${?y} if it may be missing)"),
            ErrorOf("a = ${x}\nb = ${y}"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_self_referential_substitution_means_the_earlier_value_of_the_field()
    {
        await Task.Yield();
        var data = Flatten("path = a\npath = ${path}\":/more\"\nchain = r\nchain = ${chain}x\nchain = ${chain}y\nopt = ${?opt}");
        Assert.Equal("a:/more", data["path"]);
        Assert.Equal("rxy", data["chain"]);
        Assert.False(data.ContainsKey("opt"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_self_reference_without_an_earlier_value_looks_in_the_environment()
    {
        await Task.Yield();
        Assert.Equal("/usr/bin:/opt", Flatten("PATH = ${PATH}\":/opt\"", new Dictionary<string, string> { ["PATH"] = "/usr/bin" })["PATH"]);
        Assert.Equal("test.conf:1:8: cannot resolve ${PATH}: no such key in the configuration and no environment variable named 'PATH' (use ${?PATH} if it may be missing)",
            ErrorOf("PATH = ${PATH}\":/opt\""));
    }
}
