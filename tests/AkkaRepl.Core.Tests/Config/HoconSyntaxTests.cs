using AkkaRepl.Core.Config;
using static AkkaRepl.Core.Tests.Config.HoconTestKit;

namespace AkkaRepl.Core.Tests.Config;

public sealed class HoconSyntaxTests
{
    [Fact(Timeout = 10_000)]
    public async Task Hash_and_double_slash_comments_are_ignored()
    {
        await Task.Yield();
        var data = Flatten("# a comment\na = 1 // trailing\n// whole line\nb = 2 # trailing\n");
        Assert.Equal(new Dictionary<string, string?> { ["a"] = "1", ["b"] = "2" }, data);
    }

    [Fact(Timeout = 10_000)]
    public async Task Dotted_keys_create_nested_objects()
    {
        await Task.Yield();
        var data = Flatten("a.b.c = 1\na.b.d = 2");
        Assert.Equal("1", data["a:b:c"]);
        Assert.Equal("2", data["a:b:d"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task Equals_colon_and_a_brace_without_separator_all_set_fields()
    {
        await Task.Yield();
        var data = Flatten("a = 1\nb : 2\nc { d = 3 }\ne: { f = 4 }");
        Assert.Equal(["a", "b", "c:d", "e:f"], data.Keys.Order());
        Assert.Equal(["1", "2", "3", "4"], data.OrderBy(kv => kv.Key).Select(kv => kv.Value));
    }

    [Fact(Timeout = 10_000)]
    public async Task Duplicate_objects_merge_and_the_later_value_wins_on_conflicts()
    {
        await Task.Yield();
        var data = Flatten("a { x = 1, y = 1 }\na { y = 2, z = 3 }");
        Assert.Equal(new Dictionary<string, string?> { ["a:x"] = "1", ["a:y"] = "2", ["a:z"] = "3" }, data);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_non_object_value_between_two_objects_prevents_the_merge()
    {
        await Task.Yield();
        var data = Flatten("a { x = 1 }\na = null\na { y = 2 }");
        Assert.Equal(new Dictionary<string, string?> { ["a:y"] = "2" }, data);
    }

    [Fact(Timeout = 10_000)]
    public async Task Arrays_take_commas_newlines_and_a_trailing_comma()
    {
        await Task.Yield();
        var data = Flatten("a = [1, 2,]\nb = [\n  x\n  \"y z\"\n]\nc = []");
        Assert.Equal(new Dictionary<string, string?>
        {
            ["a:0"] = "1", ["a:1"] = "2", ["b:0"] = "x", ["b:1"] = "y z", ["c"] = "",
        }, data);
    }

    [Fact(Timeout = 10_000)]
    public async Task Arrays_of_objects_flatten_with_indexes()
    {
        await Task.Yield();
        var data = Flatten("m = [{ id = n1 }, { id = n2 }]");
        Assert.Equal("n2", data["m:1:id"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task Plus_equals_appends_to_an_array()
    {
        await Task.Yield();
        var data = Flatten("a = [1]\na += 2\nb += x\nc { d = [{ e = 1 }] }\nc.d += { e = 2 }");
        Assert.Equal(new Dictionary<string, string?> { ["a:0"] = "1", ["a:1"] = "2", ["b:0"] = "x", ["c:d:0:e"] = "1", ["c:d:1:e"] = "2" }, data);
    }

    [Fact(Timeout = 10_000)]
    public async Task Plus_equals_on_a_value_that_is_not_an_array_is_rejected()
    {
        await Task.Yield();
        Assert.Equal("test.conf:2:6: 'a +=' appends to an array, but a holds a value", ErrorOf("a = 1\na += 2"));
    }

    [Fact(Timeout = 10_000)]
    public async Task Quoted_strings_unescape_json_escapes()
    {
        await Task.Yield();
        var data = Flatten("a = \"tab\\there \\\"q\\\" back\\\\slash \\u0041 # not a comment\"");
        Assert.Equal("tab\there \"q\" back\\slash A # not a comment", data["a"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task Unquoted_values_on_one_line_concatenate_keeping_inner_whitespace()
    {
        await Task.Yield();
        var data = Flatten("a = 5 s\nb = 64 MiB\nc = foo  bar   \nd = 200ms\ne = \"quoted\" and unquoted");
        Assert.Equal("5 s", data["a"]);
        Assert.Equal("64 MiB", data["b"]);
        Assert.Equal("foo  bar", data["c"]);
        Assert.Equal("200ms", data["d"]);
        Assert.Equal("quoted and unquoted", data["e"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task Triple_quoted_strings_span_lines_and_keep_backslashes_and_quotes()
    {
        await Task.Yield();
        var data = Flatten("a = \"\"\"line one\n  \"two\" \\n\"\"\"\nb = 1");
        Assert.Equal("line one\n  \"two\" \\n", data["a"]);
        Assert.Equal("1", data["b"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task Root_braces_are_optional()
    {
        await Task.Yield();
        Assert.Equal(Flatten("a { b = 1 }"), Flatten("{\n  a { b = 1 }\n}\n"));
    }

    [Fact(Timeout = 10_000)]
    public async Task Booleans_numbers_and_null_keep_their_text_and_null_stays_null()
    {
        await Task.Yield();
        var data = Flatten("a = true\nb = -1.5e3\nc = null\nd = on");
        Assert.Equal("true", data["a"]);
        Assert.Equal("-1.5e3", data["b"]);
        Assert.True(data.ContainsKey("c"));
        Assert.Null(data["c"]);
        Assert.Equal("on", data["d"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_quoted_key_keeps_its_dots()
    {
        await Task.Yield();
        var data = Flatten("a.\"b.c\" = 1");
        Assert.Equal("1", data["a:b.c"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_parsed_path_splits_unquoted_dots_only()
    {
        await Task.Yield();
        Assert.Equal(["akkarepl", "node", "data-dir", "x.y"], HoconParser.ParsePath("akkarepl.node.data-dir.\"x.y\"", "test"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_json_document_is_read_as_hocon()
    {
        await Task.Yield();
        var data = Flatten("{\"a\": {\"b\": [1, 2.5, true, null]}, \"c\": \"x\"}");
        Assert.Equal(new Dictionary<string, string?>
        {
            ["a:b:0"] = "1", ["a:b:1"] = "2.5", ["a:b:2"] = "true", ["a:b:3"] = null, ["c"] = "x",
        }, data);
    }

    [Fact(Timeout = 10_000)]
    public async Task Windows_line_endings_are_whitespace()
    {
        await Task.Yield();
        var data = Flatten("a = 5 s\r\nb {\r\n  c = \"x\" # note\r\n}\r\n");
        Assert.Equal(new Dictionary<string, string?> { ["a"] = "5 s", ["b:c"] = "x" }, data);
    }
}
