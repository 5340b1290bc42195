using System.Net;
using System.Net.Sockets;
using System.Text;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Node;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Benchmarks;

/// <summary>
/// The whole write path of one node, in process: a pipelined batch of SETs over RESP is parsed, appended to the
/// WAL (group commit, fdatasync), applied and answered. The client is a raw socket writing pre-encoded bytes and
/// reading into a fixed buffer, so <b>Allocated</b> is what the node spends per SET (MemoryDiagnoser counts every
/// thread). Timings depend on the disk; the allocation column does not.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class WritePathBenchmarks
{
    private const int Batch = 64;
    private string _dir = "";
    private NodeHost _node = null!;
    private Socket _socket = null!;
    private byte[] _request = [];
    private readonly byte[] _reply = new byte[Batch * 5];   // "+OK\r\n" per SET

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("akkarepl-bench-writepath-").FullName;
        var options = new AkkaReplOptions
        {
            Node = new NodeOptions { NodeId = "bench", DataDir = _dir, RespPort = 0, HttpPort = 0, ReplicationPort = 0 },
            Replication = new ReplicationOptions { Durability = "local" },
        };
        _node = NodeHost.StartAsync(options, NullLoggerFactory.Instance, default).GetAwaiter().GetResult();
        _socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _socket.Connect(IPAddress.Loopback, _node.RespPort);
        var value = new string('v', 100);
        var text = new StringBuilder();
        for (int i = 0; i < Batch; i++)
        {
            var key = $"key:{i:D12}";
            text.Append($"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n${value.Length}\r\n{value}\r\n");
        }
        _request = Encoding.ASCII.GetBytes(text.ToString());
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int PipelinedSet()
    {
        _socket.Send(_request);
        int read = 0;
        while (read < _reply.Length)
        {
            int n = _socket.Receive(_reply, read, _reply.Length - read, SocketFlags.None);
            if (n == 0) throw new InvalidOperationException("the node closed the connection");
            read += n;
        }
        return read;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _socket.Dispose();
        _node.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_dir, recursive: true);
    }
}
