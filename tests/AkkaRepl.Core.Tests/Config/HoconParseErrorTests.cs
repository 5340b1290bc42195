using AkkaRepl.Core.Config;
using AkkaRepl.Core.Errors;
using static AkkaRepl.Core.Tests.Config.HoconTestKit;

namespace AkkaRepl.Core.Tests.Config;

public sealed class HoconParseErrorTests
{
    [Fact(Timeout = 10_000)]
    public async Task A_key_followed_by_a_closing_brace_says_what_was_expected()
    {
        await Task.Yield();
        var error = Assert.Throws<ConfigException>(() => HoconParser.Parse("akkarepl { wal }", "node.conf"));
        Assert.Equal("node.conf:1:16: expected '=' or ':' or '{' after key 'wal', found '}'", error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_key_at_the_end_of_a_line_reports_the_line_and_column()
    {
        await Task.Yield();
        var error = Assert.Throws<ConfigException>(() => HoconParser.Parse("akkarepl {\n  wal\n}", "node.conf"));
        Assert.Equal("node.conf:2:6: expected '=' or ':' or '{' after key 'wal', found end of line", error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task An_unclosed_object_names_where_it_was_opened()
    {
        await Task.Yield();
        Assert.Equal("test.conf:3:1: expected '}' to close the object opened at 1:3, found end of file", ErrorOf("a {\n b = 1\n"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_closing_brace_without_an_opening_one_is_rejected()
    {
        await Task.Yield();
        Assert.Equal("test.conf:2:1: found '}' with no '{' to close", ErrorOf("a = 1\n}"));
    }

    [Fact(Timeout = 10_000)]
    public async Task An_unterminated_string_points_at_its_opening_quote()
    {
        await Task.Yield();
        Assert.Equal("test.conf:1:5: unterminated quoted string: add the closing '\"' before the end of the line", ErrorOf("a = \"abc\nb = 1"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_string_cut_off_after_a_backslash_is_unterminated_not_a_crash()
    {
        await Task.Yield();
        // Found by the HOCON fuzz run with more seeds: a file ending in "\ threw IndexOutOfRangeException.
        Assert.Equal("test.conf:1:5: unterminated quoted string: add the closing '\"' before the end of the line", ErrorOf("a = \"abc\\"));
        Assert.Equal("test.conf:1:5: unterminated quoted string: add the closing '\"' before the end of the line", ErrorOf("a = \"abc\\\nb = 1"));
    }

    [Fact(Timeout = 10_000)]
    public async Task An_unknown_escape_lists_the_valid_ones()
    {
        await Task.Yield();
        Assert.Equal("test.conf:1:7: unknown escape '\\q' in a quoted string: use \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX", ErrorOf("a = \"x\\q\""));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_missing_value_is_reported_after_the_separator()
    {
        await Task.Yield();
        Assert.Equal("test.conf:1:5: expected a value after 'a =', found end of line", ErrorOf("a = \nb = 2"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_reserved_character_inside_an_unquoted_value_asks_for_quotes()
    {
        await Task.Yield();
        Assert.Equal("test.conf:1:9: unexpected ':' in a value (quote a value that contains any of $ \" { } [ ] : = , + # ` ^ ? ! @ * & \\)",
            ErrorOf("a = http://example.org"));
    }

    [Fact(Timeout = 10_000)]
    public async Task Two_commas_in_a_row_in_an_array_are_rejected()
    {
        await Task.Yield();
        Assert.Equal("test.conf:1:8: expected a value or ']', found ','", ErrorOf("a = [1,,2]"));
    }

    [Fact(Timeout = 10_000)]
    public async Task An_array_at_the_root_is_rejected()
    {
        await Task.Yield();
        Assert.Equal("test.conf:1:1: expected an object at the root of the file, found '[' (a configuration file cannot be an array)", ErrorOf("[1]"));
    }

    [Fact(Timeout = 10_000)]
    public async Task An_unclosed_substitution_names_where_it_was_opened()
    {
        await Task.Yield();
        Assert.Equal("test.conf:1:8: expected '}' to close the substitution opened at 1:5, found end of file", ErrorOf("a = ${b"));
    }

    [Fact(Timeout = 10_000)]
    public async Task An_empty_path_element_is_rejected()
    {
        await Task.Yield();
        Assert.Equal("test.conf:1:3: a path cannot have an empty element (as in 'a..b' or a leading '.'); quote an empty key as \"\"", ErrorOf("a..b = 1"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_value_after_an_object_on_the_same_line_is_rejected()
    {
        await Task.Yield();
        Assert.Equal("test.conf:1:15: expected ',' or a new line after an object, found 'b' (objects and arrays cannot be joined with other values)",
            ErrorOf("a = { x = 1 } b = 2"));
    }

    [Fact(Timeout = 10_000)]
    public async Task An_unterminated_triple_quoted_string_is_rejected()
    {
        await Task.Yield();
        Assert.Equal("test.conf:2:5: unterminated triple-quoted string: add the closing '\"\"\"'", ErrorOf("x = 1\na = \"\"\"abc\n"));
    }

    [Fact(Timeout = 10_000)]
    public async Task Concatenating_objects_or_arrays_is_rejected()
    {
        await Task.Yield();
        Assert.Equal("test.conf:1:10: found '{' after a simple value on the same line (objects and arrays cannot be joined with other values)",
            ErrorOf("a = ${b} { x = 1 }\nb { y = 2 }"));
        Assert.Equal("test.conf:1:9: expected ',' or a new line after an array, found '[' (objects and arrays cannot be joined with other values)",
            ErrorOf("a = [1] [2]"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_newline_between_a_key_and_its_brace_is_rejected()
    {
        await Task.Yield();
        Assert.Equal("test.conf:1:4: expected '=' or ':' or '{' after key 'wal', found end of line", ErrorOf("wal\n{ x = 1 }"));
    }
}
