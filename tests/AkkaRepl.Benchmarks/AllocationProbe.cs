using System.Diagnostics.Tracing;

namespace AkkaRepl.Benchmarks;

/// <summary>
/// Where the write path's allocations go, by type: runs <see cref="WritePathRig"/> batches of pipelined SETs and listens
/// in process to the runtime's GCAllocationTick events (one per ~100 KB allocated, with the type of the object that
/// crossed the mark), so each type's share of the ticks estimates its bytes per SET.
/// Run: <c>dotnet run -c Release --project tests/AkkaRepl.Benchmarks -- --probe local|quorum [batches [warm-up batches]]</c>.
/// Also prints the exact total from <see cref="GC.GetTotalAllocatedBytes"/> per SET.
/// </summary>
internal static class AllocationProbe
{
    public static void Run(string durability, int batches, int warmUp)
    {
        using var rig = new WritePathRig(64);
        rig.Start(durability);
        for (int i = 0; i < warmUp; i++) rig.SendBatch();   // warm-up: pools and the WAL tail's ring fill, tiered JIT settles
        using var listener = new TickListener();
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < batches; i++) rig.SendBatch();
        long after = GC.GetTotalAllocatedBytes(precise: true);
        long sets = (long)batches * rig.Batch;
        Console.WriteLine($"durability {durability}, tail cache {WritePathRig.TailCacheBytes} B, warm-up {warmUp * rig.Batch} SETs: {sets} SETs, {(after - before) / (double)sets:F1} B allocated per SET (GC.GetTotalAllocatedBytes, all threads)");
        var ticks = listener.Snapshot();
        long tickBytes = ticks.Values.Sum();
        Console.WriteLine($"GCAllocationTick by type ({tickBytes / 1024} KiB sampled), estimated bytes per SET:");
        foreach (var (type, bytes) in ticks.OrderByDescending(t => t.Value))
            Console.WriteLine($"  {bytes / (double)sets,8:F1}  {type}");
    }

    private sealed class TickListener : EventListener
    {
        private readonly Dictionary<string, long> _bytes = new();

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1 /* GC */);
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName != "GCAllocationTick_V4" && e.EventName != "GCAllocationTick_V3") return;
            var type = e.Payload?[e.PayloadNames!.IndexOf("TypeName")] as string ?? "?";
            var amount = e.PayloadNames!.IndexOf("AllocationAmount64") is var i and >= 0 ? Convert.ToInt64(e.Payload![i]) : 100_000;
            lock (_bytes) _bytes[type] = _bytes.GetValueOrDefault(type) + amount;
        }

        public Dictionary<string, long> Snapshot()
        {
            lock (_bytes) return new Dictionary<string, long>(_bytes);
        }
    }
}
