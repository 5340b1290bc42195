using System.Diagnostics;
using System.Globalization;
using AkkaRepl.Client;
using AkkaRepl.Client.Resp;
using AkkaRepl.Client.Topology;
using AkkaRepl.Core.Errors;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// <c>akkarepl bench reads</c>: does reading from replicas scale, and what does read-your-writes cost? Against a
/// running primary + replicas (found from any seed with the .NET client), in one run:
/// <list type="number">
/// <item>GET throughput with every connection on the primary (eventual);</item>
/// <item>the same connections spread over the replicas, eventual, then read-your-writes (token: the preload's last LSN,
/// which the replicas have applied: the "replicas keep up" case);</item>
/// <item>latency while a writer keeps writing: a reader on a replica alternates an eventual GET with a read-your-writes
/// GET whose token is the writer's newest acknowledged LSN, so the difference of the medians is what waiting for
/// a just-acknowledged write costs.</item>
/// </list>
/// The machine's CPU use in each phase (from /proc/stat) says whether the run was CPU-bound.
/// <para>Fairness: every throughput phase uses the same connections in total (<c>--clients</c>, spread evenly over the
/// replicas) and the same pipeline depth. Before anything is measured, a warm-up runs each of the three throughput
/// phases once (<c>--warmup</c> seconds each), then idles <c>--settle</c> seconds while the JIT's background tiering
/// finishes, so every node and this client run their hot paths at the final tier and no measured phase pays for it. Rounds alternate the order of the phases (odd rounds:
/// primary, eventual, read-your-writes; even rounds: the reverse), so a slow drift of the machine's load favours
/// neither side; the ratios are reported per round and as medians. Each measured phase writes one line
/// <c>measure start|end ROUND PHASE</c> to the progress output, exactly at its timing boundaries, so a script can
/// sample each node's CPU counters per phase.</para>
/// </summary>
internal sealed class BenchReads
{
    public sealed record Settings(IReadOnlyList<string> Seeds, int Clients, int Pipeline, TimeSpan PhaseDuration, int Keyspace, int ValueBytes,
        TimeSpan Warmup = default, int Rounds = 1, TimeSpan Settle = default);

    public sealed record Phase(string Name, long Requests, long Errors, string? FirstError, TimeSpan Elapsed, double MachineCpuBusy, TimeSpan BenchCpu)
    {
        public double PerSecond => Requests / Elapsed.TotalSeconds;
    }

    public sealed record LatencyResult(BenchHistogram EventualMicros, BenchHistogram ReadYourWritesMicros, long Writes, long Refused);

    /// <summary>One round: the three throughput phases, measured back to back (in <see cref="Order"/>).</summary>
    public sealed record Round(int Number, Phase Primary, Phase ReplicasEventual, Phase ReplicasReadYourWrites, string Order)
    {
        public double EventualRatio => ReplicasEventual.PerSecond / Primary.PerSecond;
        public double ReadYourWritesRatio => ReplicasReadYourWrites.PerSecond / Primary.PerSecond;
    }

    public sealed record Result(TopologySnapshot Topology, IReadOnlyList<Round> Rounds, LatencyResult Latency)
    {
        public Phase Primary => Rounds[0].Primary;
        public Phase ReplicasEventual => Rounds[0].ReplicasEventual;
        public Phase ReplicasReadYourWrites => Rounds[0].ReplicasReadYourWrites;
        public double EventualRatio => Median(Rounds.Select(r => r.EventualRatio));
        public double ReadYourWritesRatio => Median(Rounds.Select(r => r.ReadYourWritesRatio));
        public double PrimaryPerSecond => Median(Rounds.Select(r => r.Primary.PerSecond));
        public long Errors => Rounds.Sum(r => r.Primary.Errors + r.ReplicasEventual.Errors + r.ReplicasReadYourWrites.Errors);
    }

    /// <summary>The median (the mean of the middle two for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private readonly Settings _s;

    public BenchReads(Settings settings)
    {
        if (settings.Seeds.Count == 0) throw new AkkaReplException("--seeds must name at least one node as host:port");
        if (settings.Clients < 1) throw new AkkaReplException("--clients must be at least 1");
        if (settings.Pipeline < 1) throw new AkkaReplException("--pipeline must be at least 1");
        if (settings.Keyspace < 1) throw new AkkaReplException("--keyspace must be at least 1");
        if (settings.PhaseDuration <= TimeSpan.Zero) throw new AkkaReplException("--seconds must be positive");
        foreach (var seed in settings.Seeds)
        {
            try { NodeEndpoint.Parse(seed); }
            catch (ArgumentException e) { throw new AkkaReplException("--seeds: " + e.Message.Split(" (Parameter")[0]); }
        }
        if (settings.Warmup < TimeSpan.Zero) throw new AkkaReplException("--warmup must not be negative");
        if (settings.Settle < TimeSpan.Zero) throw new AkkaReplException("--settle must not be negative");
        if (settings.Rounds < 1) throw new AkkaReplException("--rounds must be at least 1");
        _s = settings;
    }

    private string Key(int i) => "bench:" + i.ToString("D8", CultureInfo.InvariantCulture);

    public async Task<Result> RunAsync(Action<string> progress, CancellationToken ct)
    {
        await using var client = await AkkaReplClient.ConnectAsync(new AkkaReplClientOptions { Seeds = _s.Seeds }, ct).ConfigureAwait(false);
        var topology = client.Topology;
        var primary = topology.Primary?.Endpoint ?? throw new AkkaReplException($"no primary found from {string.Join(", ", _s.Seeds)}: {topology}");
        var replicas = topology.Replicas.Select(r => r.Endpoint).ToList();
        if (replicas.Count == 0) throw new AkkaReplException($"no reachable replica: the comparison needs at least one ({topology})");
        progress($"topology: {topology}");
        // One line per role, for scripts that map the nodes' ports to their processes (the primary may not be the first node).
        progress($"role primary {primary.Host}:{primary.Port}");
        foreach (var replica in replicas) progress($"role replica {replica.Host}:{replica.Port}");

        progress($"preloading {_s.Keyspace} keys on {primary}");
        var token = await PreloadAsync(primary, ct).ConfigureAwait(false);
        foreach (var replica in replicas) await WaitAppliedAsync(replica, token, ct).ConfigureAwait(false);

        var onPrimary = Enumerable.Repeat(primary, _s.Clients).ToList();
        var spread = Enumerable.Range(0, _s.Clients).Select(i => replicas[i % replicas.Count]).ToList();
        if (_s.Warmup > TimeSpan.Zero)
        {
            // Every node serves each kind of load once before anything counts: the JIT's tiering (and the client's) is done.
            progress($"warm-up: {_s.Warmup.TotalSeconds:0.#} s each of primary, replicas eventual, replicas read-your-writes (not measured)");
            await ThroughputAsync("warm-up primary", onPrimary, null, _s.Warmup, null, ct).ConfigureAwait(false);
            await ThroughputAsync("warm-up replicas", spread, null, _s.Warmup, null, ct).ConfigureAwait(false);
            await ThroughputAsync("warm-up replicas ryw", spread, token, _s.Warmup, null, ct).ConfigureAwait(false);
        }
        if (_s.Settle > TimeSpan.Zero)
        {
            // The nodes' JIT tiers methods up in the background some seconds after they got hot; idle meanwhile, so
            // that compilation is not charged to (or, under a CPU quota, starved by) the first measured phase.
            progress($"settling: {_s.Settle.TotalSeconds:0.#} s idle before the rounds");
            await Task.Delay(_s.Settle, ct).ConfigureAwait(false);
        }
        var rounds = new List<Round>();
        for (var r = 1; r <= _s.Rounds; r++)
        {
            Phase? p = null, e = null, y = null;
            var order = r % 2 == 1 ? new[] { 1, 2, 3 } : [3, 2, 1];
            foreach (var phase in order)
            {
                var measure = $"{r} {phase}";
                switch (phase)
                {
                    case 1:
                        progress($"round {r} phase 1: GETs on the primary alone (eventual)");
                        p = await ThroughputAsync("primary, eventual", onPrimary, null, _s.PhaseDuration, Measure(measure), ct).ConfigureAwait(false);
                        break;
                    case 2:
                        progress($"round {r} phase 2: GETs spread over the replicas (eventual)");
                        e = await ThroughputAsync("replicas, eventual", spread, null, _s.PhaseDuration, Measure(measure), ct).ConfigureAwait(false);
                        break;
                    default:
                        progress($"round {r} phase 3: GETs spread over the replicas (read-your-writes)");
                        y = await ThroughputAsync("replicas, read-your-writes", spread, token, _s.PhaseDuration, Measure(measure), ct).ConfigureAwait(false);
                        break;
                }
            }
            var round = new Round(r, p!, e!, y!, string.Join(",", order));
            rounds.Add(round);
            progress(string.Create(CultureInfo.InvariantCulture,
                $"round {r} (order {round.Order}): primary {p!.PerSecond:N0} GET/s, replicas eventual {e!.PerSecond:N0} ({round.EventualRatio:F2}x), read-your-writes {y!.PerSecond:N0} ({round.ReadYourWritesRatio:F2}x)"));
        }
        progress("phase 4: latency on a replica while writes go on: eventual vs read-your-writes of the newest write");
        var latency = await LatencyAsync(primary, replicas[0], ct).ConfigureAwait(false);
        return new Result(client.Topology, rounds, latency);

        (Action Start, Action End) Measure(string what) => (() => progress("measure start " + what), () => progress("measure end " + what));
    }

    private async Task<ulong> PreloadAsync(NodeEndpoint primary, CancellationToken ct)
    {
        await using var c = await RespConnection.ConnectAsync(primary.Host, primary.Port, ct).ConfigureAwait(false);
        var value = new string('v', _s.ValueBytes);
        for (var start = 0; start < _s.Keyspace; start += 256)
        {
            var n = Math.Min(256, _s.Keyspace - start);
            for (var i = 0; i < n; i++) c.Append([ "SET", Key(start + i), value ]);
            await c.FlushAsync(ct).ConfigureAwait(false);
            for (var i = 0; i < n; i++)
                if ((await c.ReadAsync(ct).ConfigureAwait(false)) is { IsError: true } e) throw new AkkaReplException($"preload SET failed: {e.Text}");
        }
        var lsn = await c.ExecuteAsync(ct, "LASTLSN").ConfigureAwait(false);
        return (ulong)lsn.Integer;
    }

    private static async Task WaitAppliedAsync(NodeEndpoint node, ulong lsn, CancellationToken ct)
    {
        await using var c = await RespConnection.ConnectAsync(node.Host, node.Port, ct).ConfigureAwait(false);
        var deadline = Stopwatch.StartNew();
        while ((ulong)(await c.ExecuteAsync(ct, "APPLIEDLSN").ConfigureAwait(false)).Integer < lsn)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60)) throw new AkkaReplException($"{node} did not apply the preload (LSN {lsn}) within 60 s");
            await Task.Delay(20, ct).ConfigureAwait(false);
        }
    }

    private async Task<Phase> ThroughputAsync(string name, IReadOnlyList<NodeEndpoint> targets, ulong? token, TimeSpan duration,
        (Action Start, Action End)? measured, CancellationToken ct)
    {
        var connections = new List<RespConnection>();
        try
        {
            foreach (var target in targets)
            {
                var c = await RespConnection.ConnectAsync(target.Host, target.Port, ct).ConfigureAwait(false);
                connections.Add(c);
                if (token is { } t && (await c.ExecuteAsync(ct, "CONSISTENCY", "read-your-writes", t.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false)) is { IsError: true } e)
                    throw new AkkaReplException($"CONSISTENCY refused by {target}: {e.Text}");
            }
            long requests = 0, errors = 0;
            string? firstError = null;
            measured?.Start();
            var cpuBefore = MachineCpu.Read();
            var benchCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            stop.CancelAfter(duration);
            await Task.WhenAll(connections.Select((c, index) => Task.Run(async () =>
            {
                var rng = new Random(index);
                while (!stop.IsCancellationRequested)
                {
                    for (var i = 0; i < _s.Pipeline; i++) c.Append(["GET", Key(rng.Next(_s.Keyspace))]);
                    await c.FlushAsync(ct).ConfigureAwait(false);
                    for (var i = 0; i < _s.Pipeline; i++)
                    {
                        var reply = await c.ReadAsync(ct).ConfigureAwait(false);
                        if (reply.IsError)
                        {
                            Interlocked.Increment(ref errors);
                            Interlocked.CompareExchange(ref firstError, reply.Text, null);
                        }
                    }
                    Interlocked.Add(ref requests, _s.Pipeline);
                }
            }, ct))).ConfigureAwait(false);
            var elapsed = clock.Elapsed;
            measured?.End();
            return new Phase(name, requests, errors, firstError, elapsed, MachineCpu.Read().BusySince(cpuBefore),
                Process.GetCurrentProcess().TotalProcessorTime - benchCpuBefore);
        }
        finally
        {
            foreach (var c in connections) await c.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<LatencyResult> LatencyAsync(NodeEndpoint primary, NodeEndpoint replica, CancellationToken ct)
    {
        long newest = 0, writes = 0, refused = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(_s.PhaseDuration);
        var writer = Task.Run(async () =>
        {
            await using var w = await RespConnection.ConnectAsync(primary.Host, primary.Port, ct).ConfigureAwait(false);
            var rng = new Random(1);
            while (!stop.IsCancellationRequested)
            {
                w.Append(["SET", Key(rng.Next(_s.Keyspace)), "w"]);
                w.Append(["LASTLSN"]);
                await w.FlushAsync(ct).ConfigureAwait(false);
                await w.ReadAsync(ct).ConfigureAwait(false);
                var lsn = (await w.ReadAsync(ct).ConfigureAwait(false)).Integer;
                Interlocked.Exchange(ref newest, Math.Max(Interlocked.Read(ref newest), lsn));
                Interlocked.Increment(ref writes);
                await Task.Delay(1, ct).ConfigureAwait(false); // a steady trickle, not a flood: replicas keep up
            }
        }, ct);
        var eventual = new BenchHistogram();
        var ryw = new BenchHistogram();
        await using (var r = await RespConnection.ConnectAsync(replica.Host, replica.Port, ct).ConfigureAwait(false))
        {
            var rng = new Random(2);
            while (!stop.IsCancellationRequested)
            {
                var start = Stopwatch.GetTimestamp();
                await r.ExecuteAsync(ct, "GET", Key(rng.Next(_s.Keyspace))).ConfigureAwait(false);
                eventual.Record(Micros(Stopwatch.GetTimestamp() - start));
                // Setting the level is part of what a read-your-writes read costs here: timed together, one round trip.
                start = Stopwatch.GetTimestamp();
                r.Append(["CONSISTENCY", "read-your-writes", Interlocked.Read(ref newest).ToString(CultureInfo.InvariantCulture)]);
                r.Append(["GET", Key(rng.Next(_s.Keyspace))]);
                await r.FlushAsync(ct).ConfigureAwait(false);
                await r.ReadAsync(ct).ConfigureAwait(false);
                var reply = await r.ReadAsync(ct).ConfigureAwait(false);
                ryw.Record(Micros(Stopwatch.GetTimestamp() - start));
                if (reply.IsError) refused++;
                await r.ExecuteAsync(ct, "CONSISTENCY", "eventual").ConfigureAwait(false);
            }
        }
        await writer.ConfigureAwait(false);
        return new LatencyResult(eventual, ryw, writes, refused);
    }

    private static long Micros(long ticks) => ticks * 1_000_000 / Stopwatch.Frequency;

    /// <summary>The machine's CPU time counters from /proc/stat (Linux); zeros elsewhere.</summary>
    private readonly record struct MachineCpu(long Busy, long Total)
    {
        public static MachineCpu Read()
        {
            try
            {
                var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
                var idle = fields[3] + (fields.Length > 4 ? fields[4] : 0);
                return new MachineCpu(fields.Sum() - idle, fields.Sum());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return default; }
        }

        public double BusySince(MachineCpu before) => Total > before.Total ? (double)(Busy - before.Busy) / (Total - before.Total) : 0;
    }
}
