using System.Buffers;
using System.Linq.Expressions;
using System.Reflection;
using System.Text;
using AkkaRepl.Core.Options;
using BenchmarkDotNet.Attributes;

namespace AkkaRepl.Benchmarks;

/// <summary>
/// The server's RESP request parser on a pipelined buffer of SET (or GET) commands, as a connection reads them.
/// <c>AkkaRepl.Server.Resp.RespParser</c> and its status enum are internal and AkkaRepl.Server has no
/// InternalsVisibleTo for this project, so the call goes through a delegate compiled once from an expression
/// tree (compiled expressions may call non-public methods): the same cost as a direct call. An
/// <c>InternalsVisibleTo Include="AkkaRepl.Benchmarks"</c> in AkkaRepl.Server.csproj would make this a plain call.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class RespParserBenchmarks
{
    private delegate int Parse(ReadOnlySequence<byte> buffer, RespOptions options, List<ReadOnlyMemory<byte>> argv, out SequencePosition consumed);

    private static readonly Parse TryParse = Build();

    public const int Commands = 64;
    private readonly RespOptions _options = new();
    private readonly List<ReadOnlyMemory<byte>> _argv = new(8);
    private ReadOnlySequence<byte> _buffer;

    [Params("SET 100 B", "GET")]
    public string Command { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var value = new string('v', 100);
        var one = Command == "GET"
            ? "*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000042\r\n"
            : $"*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000042\r\n$100\r\n{value}\r\n";
        _buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(one, Commands))));
    }

    /// <summary>Parses the 64 pipelined commands of the buffer; figures are per command.</summary>
    [Benchmark(OperationsPerInvoke = Commands)]
    public int ParsePipelined()
    {
        var buffer = _buffer;
        int args = 0;
        for (int i = 0; i < Commands; i++)
        {
            if (TryParse(buffer, _options, _argv, out var consumed) != 0) throw new InvalidOperationException("incomplete");
            args += _argv.Count;
            buffer = buffer.Slice(consumed);
        }
        return args;
    }

    private static Parse Build()
    {
        var parser = Assembly.Load(new AssemblyName("akkarepl")).GetType("AkkaRepl.Server.Resp.RespParser", throwOnError: true)!;
        var method = parser.GetMethod("TryParse", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)!;
        var buffer = Expression.Parameter(typeof(ReadOnlySequence<byte>), "buffer");
        var options = Expression.Parameter(typeof(RespOptions), "options");
        var argv = Expression.Parameter(typeof(List<ReadOnlyMemory<byte>>), "argv");
        var consumed = Expression.Parameter(typeof(SequencePosition).MakeByRefType(), "consumed");
        var error = Expression.Variable(typeof(string), "error");
        var body = Expression.Block(typeof(int), [error],
            Expression.Convert(Expression.Call(method, buffer, options, argv, consumed, error), typeof(int)));
        return Expression.Lambda<Parse>(body, buffer, options, argv, consumed).Compile();
    }
}
