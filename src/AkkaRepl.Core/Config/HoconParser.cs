using System.Globalization;
using System.Text;
using AkkaRepl.Core.Errors;

namespace AkkaRepl.Core.Config;

/// <summary>
/// Reads HOCON text into an unresolved <see cref="HoconObject"/>. Stops at the first syntax error with a
/// <see cref="ConfigException"/> whose message starts with <c>source:line:column:</c> and says what was expected.
/// Substitutions are kept as nodes; <see cref="HoconResolver"/> replaces them once every layer is merged.
/// </summary>
internal sealed class HoconParser
{
    // Characters that end an unquoted string (HOCON's "forbidden characters" plus whitespace).
    private const string Forbidden = "$\"{}[]:=,+#`^?!@*&\\";

    private readonly string _text;
    private readonly string _source;
    private readonly string? _baseDirectory;
    private readonly IReadOnlyList<string> _includePrefix;
    private readonly IReadOnlyList<string> _includeChain;
    private int _pos;
    private int _line = 1;
    private int _column = 1;

    private HoconParser(string text, string source, string? baseDirectory, IReadOnlyList<string> includePrefix,
        IReadOnlyList<string> includeChain)
    {
        _text = text;
        _source = source;
        _baseDirectory = baseDirectory;
        _includePrefix = includePrefix;
        _includeChain = includeChain;
    }

    /// <summary>Parses a whole document (an object, braces at the root optional).</summary>
    /// <param name="text">The HOCON text.</param>
    /// <param name="sourceName">Shown in error messages, e.g. the file path as the user gave it.</param>
    /// <param name="baseDirectory">Where relative includes are looked up; null means the current directory.</param>
    public static HoconObject Parse(string text, string sourceName, string? baseDirectory = null) =>
        new HoconParser(text, sourceName, baseDirectory, Array.Empty<string>(), Array.Empty<string>()).ParseDocument();

    /// <summary>Reads and parses a file; its includes are relative to its directory.</summary>
    public static HoconObject ParseFile(string path) =>
        ParseFile(path, Array.Empty<string>(), Array.Empty<string>());

    private static HoconObject ParseFile(string path, IReadOnlyList<string> prefix, IReadOnlyList<string> chain)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: cannot read the file: {e.Message}", e);
        }
        var full = Path.GetFullPath(path);
        return new HoconParser(text, path, Path.GetDirectoryName(path), prefix, [.. chain, full]).ParseDocument();
    }

    /// <summary>Parses a dotted path such as <c>akkarepl.node."data-dir"</c> into its elements.</summary>
    public static IReadOnlyList<string> ParsePath(string path, string sourceName)
    {
        var parser = new HoconParser(path, sourceName, null, Array.Empty<string>(), Array.Empty<string>());
        parser.SkipSpaces();
        var result = parser.ParseKeyPath(substitution: false);
        parser.SkipSpaces();
        if (!parser.AtEnd)
            throw parser.Error($"expected the end of the path, found {parser.Describe()}");
        return result;
    }

    private HoconObject ParseDocument()
    {
        if (Peek() == '\uFEFF')
            Advance();
        SkipAll();
        if (Peek() == '[' && !AtEnd)
            throw Error("expected an object at the root of the file, found '[' (a configuration file cannot be an array)");
        HoconObject root;
        if (Peek() == '{' && !AtEnd)
        {
            var open = Here;
            Advance();
            root = ParseObjectBody(braced: true, _includePrefix, open);
            Advance(); // the closing '}'
            SkipAll();
            if (!AtEnd)
                throw Error($"expected the end of the file after the closing '}}', found {Describe()}");
        }
        else
        {
            root = ParseObjectBody(braced: false, _includePrefix, Here);
        }
        return root;
    }

    // Fields until '}' (braced; not consumed) or the end of the file (root without braces).
    private HoconObject ParseObjectBody(bool braced, IReadOnlyList<string> objectPath, SourcePosition open)
    {
        var obj = new HoconObject(open);
        while (true)
        {
            SkipAll();
            if (AtEnd)
            {
                if (braced)
                    throw Error($"expected '}}' to close the object opened at {open.Line}:{open.Column}, found end of file");
                return obj;
            }
            if (Peek() == '}')
            {
                if (braced)
                    return obj;
                throw Error("found '}' with no '{' to close");
            }
            if (Peek() == ',')
                throw Error("expected a key, found ','");

            string what;
            if (AtIncludeKeyword())
            {
                ParseInclude(obj, objectPath);
                what = "the include";
            }
            else
            {
                what = $"the value of '{ParseField(obj, objectPath)}'";
            }

            SkipSpacesAndComments();
            if (AtEnd || Peek() is '}' or '\n')
                continue;
            if (Peek() == ',')
            {
                Advance();
                SkipAll();
                if (!AtEnd && Peek() == ',')
                    throw Error("expected a key, found ','");
                continue;
            }
            throw Error($"expected ',' or a new line after {what}, found {Describe()}");
        }
    }

    // Returns the key as written (for messages).
    private string ParseField(HoconObject obj, IReadOnlyList<string> objectPath)
    {
        var path = ParseKeyPath(substitution: false);
        var keyText = string.Join('.', path);
        SkipSpaces();
        var valuePath = objectPath.Concat(path).ToArray();
        bool append = false;
        HoconNode value;
        if (!AtEnd && Peek() is '=' or ':')
        {
            Advance();
            SkipSpacesAndComments();
            value = ParseValue(valuePath, $"after '{keyText} ='");
        }
        else if (!AtEnd && Peek() == '+' && Peek(1) == '=')
        {
            Advance();
            Advance();
            SkipSpacesAndComments();
            value = ParseValue(valuePath, $"after '{keyText} +='");
            append = true;
        }
        else if (!AtEnd && Peek() == '{')
        {
            value = ParseValue(valuePath, $"after '{keyText}'");
        }
        else
        {
            throw Error($"expected '=' or ':' or '{{' after key '{keyText}', found {Describe()}");
        }

        if (append)
            value = new HoconAppend(keyText, value, value.Position);

        // a.b.c = v is a { b { c = v } }, merged like any duplicate key.
        for (var i = path.Count - 1; i > 0; i--)
        {
            var wrapper = new HoconObject(value.Position);
            wrapper.Set(path[i], value);
            value = wrapper;
        }
        obj.Merge(path[0], value);
        return keyText;
    }

    private bool AtIncludeKeyword()
    {
        const string word = "include";
        if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0)
            return false;
        var next = Peek(word.Length);
        return _pos + word.Length < _text.Length && (next == '"' || IsSpace(next) || next == '\n');
    }

    private void ParseInclude(HoconObject obj, IReadOnlyList<string> objectPath)
    {
        var start = Here;
        for (var i = 0; i < "include".Length; i++)
            Advance();
        SkipAll();
        var required = false;
        var parens = 0;
        if (TryConsume("required("))
        {
            required = true;
            parens++;
            SkipSpaces();
        }
        if (TryConsume("file("))
        {
            parens++;
            SkipSpaces();
        }
        else if (StartsWith("url(") || StartsWith("classpath("))
        {
            throw Error("only files can be included: use include \"file\" or include required(\"file\")");
        }
        if (AtEnd || Peek() != '"')
            throw Error($"expected a quoted file name after 'include', found {Describe()}");
        var name = ParseQuotedString();
        for (var i = 0; i < parens; i++)
        {
            SkipSpaces();
            if (AtEnd || Peek() != ')')
                throw Error($"expected ')' after the included file name, found {Describe()}");
            Advance();
        }

        var file = Path.IsPathRooted(name) || string.IsNullOrEmpty(_baseDirectory) ? name : Path.Combine(_baseDirectory, name);
        if (!File.Exists(file))
        {
            // HOCON: a missing plain include is silently ignored; required(...) makes it an error.
            if (required)
                throw new ConfigException($"{start}: included file '{file}' not found (include required)");
            return;
        }
        var full = Path.GetFullPath(file);
        if (_includeChain.Contains(full))
            throw new ConfigException($"{start}: include cycle: {string.Join(" -> ", _includeChain.SkipWhile(f => f != full).Append(full))}");
        obj.MergeFrom(ParseFile(file, objectPath, _includeChain));
    }

    // A path expression: unquoted runs split at '.', quoted strings kept whole, whitespace between parts kept.
    private List<string> ParseKeyPath(bool substitution)
    {
        var segments = new List<string>();
        var current = new StringBuilder();
        var currentHasContent = false;
        var any = false;
        string? pendingSpace = null;
        while (!AtEnd)
        {
            var c = Peek();
            if (c is '\n' or ',' or '#' or '=' or ':' or '{' or '}' || (c == '/' && Peek(1) == '/') || (c == '+' && Peek(1) == '='))
                break;
            if (IsSpace(c))
            {
                var start = _pos;
                SkipSpaces();
                pendingSpace = _text[start.._pos];
                continue;
            }
            if (pendingSpace is not null && any)
                current.Append(pendingSpace);
            pendingSpace = null;
            if (c == '"')
            {
                if (Peek(1) == '"' && Peek(2) == '"')
                    throw Error("a key cannot be a triple-quoted string");
                current.Append(ParseQuotedString());
                currentHasContent = true;
                any = true;
                continue;
            }
            if (Forbidden.Contains(c))
            {
                if (!any)
                    throw Error($"expected a key, found '{c}'");
                break;
            }
            while (!AtEnd && !IsSpace(Peek()) && Peek() != '\n' && !Forbidden.Contains(Peek()) && !(Peek() == '/' && Peek(1) == '/'))
            {
                if (Peek() == '.')
                {
                    if (!currentHasContent)
                        throw Error("a path cannot have an empty element (as in 'a..b' or a leading '.'); quote an empty key as \"\"");
                    segments.Add(current.ToString());
                    current.Clear();
                    currentHasContent = false;
                }
                else
                {
                    current.Append(Peek());
                    currentHasContent = true;
                }
                Advance();
                any = true;
            }
        }
        if (!any)
            throw Error(substitution ? $"expected a path inside '${{...}}', found {Describe()}" : $"expected a key, found {Describe()}");
        if (!currentHasContent)
            throw Error("a path cannot end with '.'");
        segments.Add(current.ToString());
        return segments;
    }

    // A value: an object, an array, or simple values on one line (concatenated into a string).
    private HoconNode ParseValue(IReadOnlyList<string> path, string context)
    {
        var start = Here;
        var parts = new List<HoconNode>();
        var unquotedSingle = false;
        string? pendingSpace = null;
        while (!AtEnd)
        {
            var c = Peek();
            if (c is '\n' or ',' or '}' or ']' or '#' || (c == '/' && Peek(1) == '/'))
                break;
            if (IsSpace(c))
            {
                var s = _pos;
                SkipSpaces();
                pendingSpace = _text[s.._pos];
                continue;
            }
            if (parts.Count > 0 && parts[^1] is HoconObject or HoconArray)
                throw Error($"expected ',' or a new line after {(parts[^1] is HoconObject ? "an object" : "an array")}, found {Describe()} (objects and arrays cannot be joined with other values)");
            if (c is '{' or '[')
            {
                if (parts.Count > 0)
                    throw Error($"found '{c}' after a simple value on the same line (objects and arrays cannot be joined with other values)");
                parts.Add(c == '{' ? ParseBracedObject(path) : ParseArray(path));
                pendingSpace = null;
                continue;
            }
            if (pendingSpace is not null && parts.Count > 0)
                parts.Add(new HoconScalar(pendingSpace, HoconScalarKind.String, Here));
            pendingSpace = null;
            var at = Here;
            if (c == '"')
            {
                var text = Peek(1) == '"' && Peek(2) == '"' ? ParseTripleQuotedString() : ParseQuotedString();
                parts.Add(new HoconScalar(text, HoconScalarKind.String, at));
                unquotedSingle = false;
            }
            else if (c == '$' && Peek(1) == '{')
            {
                parts.Add(ParseSubstitution(path));
            }
            else if (c == '-' && char.IsAsciiDigit(Peek(1)) || char.IsAsciiDigit(c))
            {
                parts.Add(new HoconScalar(ReadNumber(), HoconScalarKind.Number, at));
            }
            else if (Forbidden.Contains(c))
            {
                const string quoteHint = "(quote a value that contains any of $ \" { } [ ] : = , + # ` ^ ? ! @ * & \\)";
                throw Error(parts.Count == 0
                    ? $"expected a value {context}, found '{c}' {quoteHint}"
                    : $"unexpected '{c}' in a value {quoteHint}");
            }
            else
            {
                var s = _pos;
                while (!AtEnd && !IsSpace(Peek()) && Peek() != '\n' && !Forbidden.Contains(Peek()) && !(Peek() == '/' && Peek(1) == '/'))
                    Advance();
                parts.Add(new HoconScalar(_text[s.._pos], HoconScalarKind.String, at));
                unquotedSingle = parts.Count == 1;
            }
        }
        if (parts.Count == 0)
            throw Error($"expected a value {context}, found {Describe()}");
        if (parts.Count == 1)
        {
            // A lone unquoted true/false/null keeps its JSON type; anything concatenated is a string.
            if (unquotedSingle && parts[0] is HoconScalar { Text: "true" or "false" or "null" } word)
                return new HoconScalar(word.Text, word.Text == "null" ? HoconScalarKind.Null : HoconScalarKind.Boolean, word.Position);
            return parts[0];
        }
        if (parts.All(p => p is HoconScalar))
            return new HoconScalar(string.Concat(parts.Cast<HoconScalar>().Select(p => p.Text)), HoconScalarKind.String, start);
        return new HoconConcatenation(parts, start);
    }

    private HoconObject ParseBracedObject(IReadOnlyList<string> path)
    {
        var open = Here;
        Advance();
        var obj = ParseObjectBody(braced: true, path, open);
        Advance(); // '}'
        return obj;
    }

    private HoconArray ParseArray(IReadOnlyList<string> path)
    {
        var open = Here;
        Advance();
        var array = new HoconArray(open);
        while (true)
        {
            SkipAll();
            if (AtEnd)
                throw Error($"expected ']' to close the array opened at {open.Line}:{open.Column}, found end of file");
            if (Peek() == ']')
            {
                Advance();
                return array;
            }
            if (Peek() == ',')
                throw Error("expected a value or ']', found ','");
            array.Items.Add(ParseValue(path, "in the array"));
            SkipSpacesAndComments();
            if (AtEnd || Peek() is '\n' or ']')
                continue;
            if (Peek() == ',')
            {
                Advance();
                continue;
            }
            throw Error($"expected ',' or ']' or a new line after an array element, found {Describe()}");
        }
    }

    private HoconSubstitution ParseSubstitution(IReadOnlyList<string> fieldPath)
    {
        var at = Here;
        Advance();
        Advance();
        var optional = false;
        if (!AtEnd && Peek() == '?')
        {
            optional = true;
            Advance();
        }
        SkipSpaces();
        var startText = _pos;
        var path = ParseKeyPath(substitution: true);
        var written = _text[startText.._pos].Trim();
        SkipSpaces();
        if (AtEnd || Peek() != '}')
            throw Error($"expected '}}' to close the substitution opened at {at.Line}:{at.Column}, found {Describe()}");
        Advance();
        string[] absolute = [.. _includePrefix, .. path];
        return new HoconSubstitution(absolute, written, optional, absolute.SequenceEqual(fieldPath), at);
    }

    private string ReadNumber()
    {
        var s = _pos;
        if (Peek() == '-')
            Advance();
        while (!AtEnd && char.IsAsciiDigit(Peek()))
            Advance();
        if (Peek() == '.' && char.IsAsciiDigit(Peek(1)))
        {
            Advance();
            while (!AtEnd && char.IsAsciiDigit(Peek()))
                Advance();
        }
        if (Peek() is 'e' or 'E' && (char.IsAsciiDigit(Peek(1)) || (Peek(1) is '+' or '-' && char.IsAsciiDigit(Peek(2)))))
        {
            Advance();
            if (Peek() is '+' or '-')
                Advance();
            while (!AtEnd && char.IsAsciiDigit(Peek()))
                Advance();
        }
        return _text[s.._pos];
    }

    private string ParseQuotedString()
    {
        var open = Here;
        Advance();
        var sb = new StringBuilder();
        while (true)
        {
            if (AtEnd || Peek() == '\n')
                throw new ConfigException($"{open}: unterminated quoted string: add the closing '\"' before the end of the line");
            var c = Peek();
            if (c == '"')
            {
                Advance();
                return sb.ToString();
            }
            if (c == '\\')
            {
                var escapeAt = Here;
                Advance();
                // A backslash last in the text or the line escapes nothing: the loop's check reports the string unterminated.
                if (AtEnd || Peek() == '\n') continue;
                var e = Peek();
                Advance();
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        if (_pos + 4 > _text.Length ||
                            !int.TryParse(_text.AsSpan(_pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                            throw new ConfigException($"{escapeAt}: expected four hex digits after '\\u'");
                        for (var i = 0; i < 4; i++)
                            Advance();
                        sb.Append((char)code);
                        break;
                    default:
                        throw new ConfigException(
                            $"{escapeAt}: unknown escape '\\{e}' in a quoted string: use \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX");
                }
                continue;
            }
            sb.Append(c);
            Advance();
        }
    }

    private string ParseTripleQuotedString()
    {
        var open = Here;
        Advance();
        Advance();
        Advance();
        var start = _pos;
        var end = _text.IndexOf("\"\"\"", _pos, StringComparison.Ordinal);
        if (end < 0)
            throw new ConfigException($"{open}: unterminated triple-quoted string: add the closing '\"\"\"'");
        // Quotes right before the closing three belong to the string: """a"""" is a" .
        while (end + 3 < _text.Length && _text[end + 3] == '"')
            end++;
        while (_pos < end + 3)
            Advance();
        return _text[start..end];
    }

    private SourcePosition Here => new(_source, _line, _column);

    private bool AtEnd => _pos >= _text.Length;

    private char Peek(int offset = 0) => _pos + offset < _text.Length ? _text[_pos + offset] : '\0';

    private void Advance()
    {
        if (_text[_pos] == '\n')
        {
            _line++;
            _column = 1;
        }
        else
        {
            _column++;
        }
        _pos++;
    }

    private bool StartsWith(string s) => string.CompareOrdinal(_text, _pos, s, 0, s.Length) == 0;

    private bool TryConsume(string s)
    {
        if (!StartsWith(s))
            return false;
        for (var i = 0; i < s.Length; i++)
            Advance();
        return true;
    }

    // Whitespace other than the newline, which separates fields and array elements.
    private static bool IsSpace(char c) => c != '\n' && (char.IsWhiteSpace(c) || c == '\uFEFF');

    private void SkipSpaces()
    {
        while (!AtEnd && IsSpace(Peek()))
            Advance();
    }

    private bool SkipComment()
    {
        if (AtEnd || !(Peek() == '#' || (Peek() == '/' && Peek(1) == '/')))
            return false;
        while (!AtEnd && Peek() != '\n')
            Advance();
        return true;
    }

    private void SkipSpacesAndComments()
    {
        do
            SkipSpaces();
        while (SkipComment());
    }

    private void SkipAll()
    {
        while (true)
        {
            SkipSpacesAndComments();
            if (AtEnd || Peek() != '\n')
                return;
            Advance();
        }
    }

    private string Describe() => AtEnd ? "end of file" : Peek() is '\n' or '\r' ? "end of line" : $"'{Peek()}'";

    private ConfigException Error(string message) => new($"{Here}: {message}");
}
