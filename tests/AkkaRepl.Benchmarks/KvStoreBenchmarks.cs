using AkkaRepl.Core.Ids;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Storage.StateMachine;
using BenchmarkDotNet.Attributes;

namespace AkkaRepl.Benchmarks;

/// <summary>
/// Applying a committed SET (as the Applier does after the WAL flush): decode the KV payload, take the write
/// lock, store. Keys cycle over 100,000, so after the first round each SET overwrites (steady state). The
/// payloads are encoded once in setup.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class KvStoreBenchmarks
{
    private const int Keys = 100_000;
    private byte[][] _payloads = [];
    private KvStore _store = null!;
    private ulong _lsn;
    private int _next;
    private ReadOnlyMemory<byte>[] _getArgv = [];

    [ParamsSource(nameof(Sizes))]
    public Bytes Value { get; set; }

    public static IEnumerable<Bytes> Sizes => [new(100)];

    [GlobalSetup]
    public void Setup()
    {
        var value = new byte[Value.Value];
        new Random(4).NextBytes(value);
        _payloads = new byte[Keys][];
        for (int i = 0; i < Keys; i++)
            _payloads[i] = KvStore.EncodeCommand(["SET"u8.ToArray(), System.Text.Encoding.ASCII.GetBytes($"key:{i:D12}"), value]);
        _getArgv = ["GET"u8.ToArray(), System.Text.Encoding.ASCII.GetBytes("key:000000000042")];
        _store = new KvStore();
        for (int i = 0; i < Keys; i++) ApplySet();
    }

    [Benchmark]
    public object ApplySet()
    {
        var payload = _payloads[_next];
        _next = _next + 1 == Keys ? 0 : _next + 1;
        var start = _lsn;
        _lsn += (ulong)(36 + payload.Length);
        return _store.ApplyEntry(new CommittedEntry(Generation.First, new Lsn(start), new Lsn(_lsn), 1_700_000_000_000_000, payload));
    }

    [Benchmark]
    public object ExecuteReadGet() => _store.ExecuteRead(_getArgv);
}
