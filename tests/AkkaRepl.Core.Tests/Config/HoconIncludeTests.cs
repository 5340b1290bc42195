using AkkaRepl.Core.Config;
using AkkaRepl.Core.Errors;

namespace AkkaRepl.Core.Tests.Config;

public sealed class HoconIncludeTests
{
    private static Dictionary<string, string?> Load(string path)
    {
        var root = HoconParser.ParseFile(path);
        HoconResolver.Resolve(root, _ => null);
        return HoconFlattener.Flatten(root);
    }

    [Fact(Timeout = 10_000)]
    public async Task Includes_are_relative_to_the_including_file_not_the_working_directory()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        var main = dir.Write("conf/main.conf", "include \"sub/wal.conf\"\na = 1");
        dir.Write("conf/sub/wal.conf", "w = 2\ninclude \"more.conf\"");
        dir.Write("conf/sub/more.conf", "m = 3");
        var data = Load(main);
        Assert.Equal(new Dictionary<string, string?> { ["w"] = "2", ["m"] = "3", ["a"] = "1" }, data);
    }

    [Fact(Timeout = 10_000)]
    public async Task Keys_after_an_include_override_the_included_ones_and_before_it_are_overridden()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        var main = dir.Write("main.conf", "a = before\nb = before\ninclude file(\"inc.conf\")\nb = after");
        dir.Write("inc.conf", "a = included\nb = included");
        var data = Load(main);
        Assert.Equal("included", data["a"]);
        Assert.Equal("after", data["b"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task An_include_inside_an_object_makes_its_substitutions_relative_to_that_object()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        var main = dir.Write("main.conf", "x { include \"inc.conf\" }\nx.v = 42");
        dir.Write("inc.conf", "v = 1\nw = ${v}");
        var data = Load(main);
        Assert.Equal("42", data["x:w"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_missing_plain_include_is_silently_ignored()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        var main = dir.Write("main.conf", "include \"nope.conf\"\na = 1");
        Assert.Equal(new Dictionary<string, string?> { ["a"] = "1" }, Load(main));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_missing_required_include_is_an_error_naming_the_file()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        var main = dir.Write("main.conf", "a = 1\ninclude required(\"nope.conf\")");
        var error = Assert.Throws<ConfigException>(() => Load(main));
        Assert.Equal($"{main}:2:1: included file '{Path.Combine(dir.Path, "nope.conf")}' not found (include required)", error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task An_include_cycle_is_reported_with_the_files()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        var a = dir.Write("a.conf", "include \"b.conf\"");
        var b = dir.Write("b.conf", "include \"a.conf\"");
        var error = Assert.Throws<ConfigException>(() => Load(a));
        Assert.Equal($"{b}:1:1: include cycle: {a} -> {b} -> {a}", error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_syntax_error_in_an_included_file_names_that_file()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        var main = dir.Write("main.conf", "include \"bad.conf\"");
        var bad = dir.Write("bad.conf", "x {");
        var error = Assert.Throws<ConfigException>(() => Load(main));
        Assert.Equal($"{bad}:1:4: expected '}}' to close the object opened at 1:3, found end of file", error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task Including_a_url_is_refused()
    {
        await Task.Yield();
        var error = Assert.Throws<ConfigException>(() => HoconParser.Parse("include url(\"http://x\")", "test.conf"));
        Assert.Equal("test.conf:1:9: only files can be included: use include \"file\" or include required(\"file\")", error.Message);
    }
}
