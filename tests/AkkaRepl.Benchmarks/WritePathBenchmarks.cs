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
/// <para><see cref="Durability"/> <c>quorum</c> starts a second node in the same process as the replica (a
/// two-member group: a quorum is both), so every SET also waits in the primary's durability gate for the replica's
/// ack, and Allocated then counts both nodes (the replica's receive, WAL append and apply too).</para>
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class WritePathBenchmarks
{
    private const int Batch = 64;
    private readonly WritePathRig _rig = new(Batch);

    [Params("local", "quorum")]
    public string Durability { get; set; } = "local";

    [GlobalSetup]
    public void Setup() => _rig.Start(Durability);

    [Benchmark(OperationsPerInvoke = Batch)]
    public int PipelinedSet() => _rig.SendBatch();

    [GlobalCleanup]
    public void Cleanup() => _rig.Dispose();
}

/// <summary>A node (and for quorum, its replica) in this process, and a raw-socket client sending a pre-encoded
/// batch of SETs. Shared by the benchmark and the allocation probe (<see cref="AllocationProbe"/>).</summary>
internal sealed class WritePathRig(int batch) : IDisposable
{
    /// <summary>The WAL tail cache of the rig's nodes: 4 MiB (default 64 MiB), so its ring of buffers fills during the
    /// warm-up and the measured SETs run in the steady state (a node reuses the ring's buffers once it filled it once,
    /// ~400,000 100-byte SETs at the default). Override with AKKAREPL_BENCH_TAIL_CACHE_BYTES.</summary>
    public static long TailCacheBytes =>
        long.TryParse(Environment.GetEnvironmentVariable("AKKAREPL_BENCH_TAIL_CACHE_BYTES"), out var bytes) ? bytes : 4L * 1024 * 1024;

    private readonly List<string> _dirs = [];
    private readonly List<NodeHost> _nodes = [];
    private Socket _socket = null!;
    private byte[] _request = [];
    private readonly byte[] _reply = new byte[batch * 5];   // "+OK\r\n" per SET

    public int Batch => batch;

    public void Start(string durability)
    {
        NodeHost primary;
        if (durability == "local")
            primary = StartNode("bench", durability, null);
        else
        {
            primary = StartNode("p", durability, [Member("p", null), Member("r", null)]);
            StartNode("r", durability, [Member("p", primary), Member("r", null)]);
        }
        _socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _socket.Connect(IPAddress.Loopback, primary.RespPort);
        var value = new string('v', 100);
        var text = new StringBuilder();
        for (int i = 0; i < batch; i++)
        {
            var key = $"key:{i:D12}";
            text.Append($"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n${value.Length}\r\n{value}\r\n");
        }
        _request = Encoding.ASCII.GetBytes(text.ToString());
        // The first batch also waits for the replica to connect (the policy blocks); every reply must be +OK.
        SendBatch();
        if (!_reply.AsSpan().SequenceEqual(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("+OK\r\n", batch)))))
            throw new InvalidOperationException("unexpected reply: " + Encoding.ASCII.GetString(_reply));
    }

    private static MemberOptions Member(string id, NodeHost? node) => node is null
        ? new MemberOptions { Id = id, ReplicationPort = 1, RespPort = 1, HttpPort = 1 }
        : new MemberOptions { Id = id, ReplicationPort = node.ReplicationPort, RespPort = node.RespPort, HttpPort = node.HttpPort };

    private NodeHost StartNode(string id, string durability, IReadOnlyList<MemberOptions>? members)
    {
        var dir = Directory.CreateTempSubdirectory("akkarepl-bench-writepath-").FullName;
        _dirs.Add(dir);
        var options = new AkkaReplOptions
        {
            Node = new NodeOptions { NodeId = id, DataDir = dir, RespPort = 0, HttpPort = 0, ReplicationPort = 0 },
            Replication = new ReplicationOptions { Durability = durability, DurabilityTimeout = TimeSpan.FromSeconds(30) },
            Wal = new WalOptions { TailCacheBytes = TailCacheBytes },
        };
        if (members is not null)
            options = options with
            {
                Cluster = new ClusterOptions { Members = members, InitialPrimary = "p" },
                Election = new ElectionOptions { Enabled = false },
            };
        var node = NodeHost.StartAsync(options, NullLoggerFactory.Instance, default).GetAwaiter().GetResult();
        _nodes.Add(node);
        return node;
    }

    public int SendBatch()
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

    public void Dispose()
    {
        _socket?.Dispose();
        for (int i = _nodes.Count - 1; i >= 0; i--) _nodes[i].DisposeAsync().AsTask().GetAwaiter().GetResult();
        foreach (var dir in _dirs) Directory.Delete(dir, recursive: true);
    }
}
