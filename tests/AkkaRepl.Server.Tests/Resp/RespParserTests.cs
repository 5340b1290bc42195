using System.Buffers;
using System.Text;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Resp;

namespace AkkaRepl.Server.Tests.Resp;

public class RespParserTests
{
    private static readonly RespOptions Defaults = new();

    /// <summary>Parses every request in <paramref name="bytes"/> given as one sequence of the given segments.</summary>
    private static (List<string[]> Requests, RespParseStatus Last, string? Error) ParseAll(ReadOnlySequence<byte> buffer, RespOptions? options = null)
    {
        var requests = new List<string[]>();
        var argv = new List<ReadOnlyMemory<byte>>();
        while (true)
        {
            var status = RespParser.TryParse(buffer, options ?? Defaults, argv, out var consumed, out var error);
            if (status != RespParseStatus.Complete) return (requests, status, error);
            if (argv.Count > 0) requests.Add(argv.Select(a => Encoding.UTF8.GetString(a.Span)).ToArray());
            buffer = buffer.Slice(consumed);
            if (buffer.IsEmpty) return (requests, RespParseStatus.Complete, null);
        }
    }

    private static ReadOnlySequence<byte> Sequence(params byte[][] parts)
    {
        if (parts.Length == 1) return new ReadOnlySequence<byte>(parts[0]);
        var first = new Segment(parts[0], 0);
        var last = first;
        foreach (var part in parts.Skip(1)) last = last.Append(part);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private static (List<string[]>, RespParseStatus, string?) Parse(string text, RespOptions? options = null) =>
        ParseAll(Sequence(Encoding.UTF8.GetBytes(text)), options);

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_request_split_at_every_byte_boundary_parses_the_same()
    {
        await Task.Yield();
        var text = "*3\r\n$3\r\nSET\r\n$5\r\nk\r\ney\r\n$0\r\n\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n";
        var bytes = Encoding.UTF8.GetBytes(text);
        string[][] expected = [["SET", "k\r\ney", ""], ["PING"], ["ECHO", "hi"]];
        for (var split = 0; split <= bytes.Length; split++)
        {
            // As two segments of one buffer...
            var (all, status, _) = ParseAll(Sequence(bytes[..split], bytes[split..]));
            Assert.True(status == RespParseStatus.Complete, $"split {split}");
            Assert.Equal(expected, all);
            // ...and as a prefix that has arrived so far: only whole requests come out, the rest waits.
            var (some, prefixStatus, _) = ParseAll(Sequence(bytes[..split]));
            Assert.True(prefixStatus is RespParseStatus.Incomplete or RespParseStatus.Complete, $"split {split}");
            Assert.Equal(expected.Take(some.Count), some);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Inline_commands_split_on_spaces_and_honour_quotes()
    {
        await Task.Yield();
        var (requests, status, _) = Parse("SET k \"a b\\x41\\n\" \r\nGET   'it\\'s'\n\r\n");
        Assert.Equal(RespParseStatus.Complete, status);
        Assert.Equal([["SET", "k", "a bA\n"], ["GET", "it's"]], requests);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("SET \"k\r\n", "ERR Protocol error: unbalanced quotes in request")]
    [InlineData("SET \"k\"x\r\n", "ERR Protocol error: unbalanced quotes in request")]
    [InlineData("*x\r\n", "ERR Protocol error: invalid multibulk length")]
    [InlineData("*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$+1\r\n", "ERR Protocol error: invalid bulk length")]
    [InlineData("*1\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'")]
    [InlineData("*2\r\n$1\r\na\r\nx\r\n", "ERR Protocol error: expected '$', got 'x'")]
    public async Task Malformed_requests_get_the_redis_error_text(string request, string error)
    {
        await Task.Yield();
        var (_, status, text) = Parse(request);
        Assert.Equal(RespParseStatus.Error, status);
        Assert.Equal(error, text);
    }

    [Fact(Timeout = 30_000)]
    public async Task Limits_from_the_options_are_enforced()
    {
        await Task.Yield();
        var options = new RespOptions { MaxArrayLength = 3, MaxBulkBytes = 10, MaxRequestBytes = 15 };
        Assert.Equal("ERR Protocol error: invalid multibulk length", Parse("*4\r\n", options).Item3);
        Assert.Equal("ERR Protocol error: invalid bulk length", Parse("*1\r\n$11\r\n", options).Item3);
        Assert.Equal("ERR Protocol error: too big request", Parse("*2\r\n$10\r\n0123456789\r\n$6\r\n", options).Item3);
        Assert.Equal(RespParseStatus.Complete, Parse("*3\r\n$1\r\na\r\n$1\r\nb\r\n$10\r\n0123456789\r\n", options).Item2);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_endless_line_is_refused_once_it_passes_64_KiB()
    {
        await Task.Yield();
        var longLine = new string('a', RespParser.MaxInlineBytes + 1);
        Assert.Equal("ERR Protocol error: too big inline request", Parse(longLine).Item3);
        Assert.Equal(RespParseStatus.Incomplete, Parse(longLine[..1000]).Item2);
        Assert.Equal("ERR Protocol error: too big mult bulk count string", Parse("*" + longLine).Item3);
    }

    [Fact(Timeout = 30_000)]
    public async Task Empty_requests_are_skipped()
    {
        await Task.Yield();
        var (requests, status, _) = Parse("*0\r\n\r\n*-1\r\nPING\r\n");
        Assert.Equal(RespParseStatus.Complete, status);
        Assert.Equal([["PING"]], requests);
    }

    [Fact(Timeout = 30_000)]
    public async Task Random_garbage_never_throws_and_never_yields_a_partial_request()
    {
        await Task.Yield();
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var alphabet = "*$\r\n0123456789-abc \"'\\x"u8.ToArray();
        for (var i = 0; i < 5_000; i++)
        {
            var bytes = new byte[random.Next(1, 40)];
            for (var j = 0; j < bytes.Length; j++) bytes[j] = alphabet[random.Next(alphabet.Length)];
            var exception = Record.Exception(() => ParseAll(Sequence(bytes)));
            Assert.True(exception is null, $"seed {seed}, input '{Encoding.UTF8.GetString(bytes)}': {exception}");
        }
    }
}
