using System.CommandLine;
using System.Globalization;
using AkkaRepl.Core.Errors;
using AkkaRepl.Wal.Diagnostics;
using Spectre.Console;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// <c>akkarepl bench</c>: the disk's fdatasync rate, WAL group commit and recovery, and a RESP load generator.
/// Every figure that a script needs is also printed as a <c>name=value</c> line on stdout.
/// </summary>
internal static class BenchCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var command = new Command("bench", "Measure: the disk's sync rate, the WAL, WAL recovery, and a node over RESP.");
        command.Subcommands.Add(Fsync());
        command.Subcommands.Add(Wal());
        command.Subcommands.Add(WalRecovery());
        command.Subcommands.Add(Resp());
        command.Subcommands.Add(Loopback());
        command.Subcommands.Add(Reads());
        return command;
    }

    private static Command Loopback()
    {
        var seconds = new Option<double>("--seconds") { Description = "How long to run.", DefaultValueFactory = _ => 2 };
        var command = new Command("loopback", "The network's raw round trip: a 64-byte TCP ping-pong over loopback, one at a time.");
        command.Options.Add(seconds);
        command.SetAction((parse, ct) => Run(async () =>
        {
            var r = await BenchLoopback.MeasureAsync(Seconds(parse.GetValue(seconds)), ct).ConfigureAwait(false);
            Console.Out.WriteLine(string.Create(Inv,
                $"{r.RoundTrips:N0} loopback round trips (64 B, TCP) in {r.Elapsed.TotalSeconds:N2} s: {r.PerSecond:N0}/s, latency p50 {r.Latency.ValueAtPercentile(50)} us p99 {r.Latency.ValueAtPercentile(99)} us"));
            Console.Out.WriteLine(string.Create(Inv, $"loopback_rtt_p50_us={r.Latency.ValueAtPercentile(50)}"));
            Console.Out.WriteLine(string.Create(Inv, $"loopback_rtt_p99_us={r.Latency.ValueAtPercentile(99)}"));
            return CliErrors.Ok;
        }));
        return command;
    }

    private static Command Fsync()
    {
        var dir = new Option<DirectoryInfo>("--dir") { Description = "Directory on the disk to measure (a temporary file is written and deleted).", Required = true };
        var seconds = new Option<double>("--seconds") { Description = "How long to run.", DefaultValueFactory = _ => 3 };
        var overwrite = new Option<bool>("--overwrite") { Description = "Rewrite one 4 KiB block in place instead of appending (no file growth per sync)." };
        var command = new Command("fsync", "The disk's raw rate: one thread writing 4 KiB then calling fdatasync, in a loop.");
        command.Options.Add(dir);
        command.Options.Add(seconds);
        command.Options.Add(overwrite);
        command.SetAction((parse, ct) => Run(() =>
        {
            var r = BenchFsync.Measure(parse.GetValue(dir)!.FullName, Seconds(parse.GetValue(seconds)), parse.GetValue(overwrite), ct);
            Console.Out.WriteLine(string.Create(Inv,
                $"{r.Syncs:N0} x (4 KiB {(r.Overwrite ? "overwrite" : "append")} + fdatasync) in {r.Elapsed.TotalSeconds:N2} s: {r.PerSecond:N0}/s, latency p50 {r.Latency.ValueAtPercentile(50)} us p99 {r.Latency.ValueAtPercentile(99)} us max {r.Latency.Max} us"));
            Console.Out.WriteLine(string.Create(Inv, $"fdatasync_per_second={r.PerSecond:F0}"));
            Console.Out.WriteLine(string.Create(Inv, $"fdatasync_p50_us={r.Latency.ValueAtPercentile(50)}"));
            return Task.FromResult(CliErrors.Ok);
        }));
        return command;
    }

    private static Command Wal()
    {
        var dir = new Option<DirectoryInfo>("--dir") { Description = "Directory on the disk to measure (a subdirectory is written and deleted).", Required = true };
        var appenders = new Option<int>("--appenders") { Description = "Concurrent appenders, each awaiting durability before its next append.", DefaultValueFactory = _ => 64 };
        var recordBytes = new Option<int>("--record-bytes") { Description = "Payload bytes per record.", DefaultValueFactory = _ => 100 };
        var seconds = new Option<double>("--seconds") { Description = "How long the appenders run.", DefaultValueFactory = _ => 5 };
        var command = new Command("wal", "WAL group commit: durable appends/s next to the disk's raw fdatasync rate measured in the same run.");
        command.Options.Add(dir);
        command.Options.Add(appenders);
        command.Options.Add(recordBytes);
        command.Options.Add(seconds);
        command.SetAction((parse, ct) => Run(async () =>
        {
            var n = parse.GetValue(appenders);
            if (n < 1) throw new AkkaReplException("--appenders must be at least 1");
            if (parse.GetValue(recordBytes) < 0) throw new AkkaReplException("--record-bytes must not be negative");
            var r = await WalBenchmark.RunAsync(parse.GetValue(dir)!.FullName, n, parse.GetValue(recordBytes), Seconds(parse.GetValue(seconds)), ct).ConfigureAwait(false);
            Console.Out.WriteLine(r.ToString());
            // Each appender waits for its sync, so appenders x syncs/s bounds the rate; the raw rate is the disk's.
            double ratio = r.RawSyncsPerSecond > 0 ? r.SyncsPerSecond / r.RawSyncsPerSecond : 0;
            Console.Out.WriteLine(string.Create(Inv, $"WAL syncs/s vs raw fdatasync/s: {ratio:F2}x; appends/s per raw fdatasync: {(r.RawSyncsPerSecond > 0 ? r.AppendsPerSecond / r.RawSyncsPerSecond : 0):F1}"));
            Console.Out.WriteLine(string.Create(Inv, $"appends_per_second={r.AppendsPerSecond:F0}"));
            Console.Out.WriteLine(string.Create(Inv, $"syncs_per_second={r.SyncsPerSecond:F0}"));
            Console.Out.WriteLine(string.Create(Inv, $"mean_batch={r.MeanBatchRecords:F1}"));
            Console.Out.WriteLine(string.Create(Inv, $"p50_us={r.P50LatencyMicros:F0}"));
            Console.Out.WriteLine(string.Create(Inv, $"p99_us={r.P99LatencyMicros:F0}"));
            Console.Out.WriteLine(string.Create(Inv, $"fdatasync_per_second={r.RawSyncsPerSecond:F0}"));
            Console.Out.WriteLine(string.Create(Inv, $"sync_ratio={ratio:F2}"));
            return CliErrors.Ok;
        }));
        return command;
    }

    private static Command WalRecovery()
    {
        var dir = new Option<DirectoryInfo>("--dir") { Description = "Directory on the disk to measure (a subdirectory is written and deleted).", Required = true };
        var size = new Option<string>("--size") { Description = "Log size to build and recover: bytes, or with KiB/MiB/GiB.", DefaultValueFactory = _ => "1GiB" };
        var warm = new Option<bool>("--warm") { Description = "Keep the files' pages cached (default: dropped first, so recovery reads the disk)." };
        var command = new Command("wal-recovery", "Build a WAL of the given size and time opening it (scan and checksum of every record).");
        command.Options.Add(dir);
        command.Options.Add(size);
        command.Options.Add(warm);
        command.SetAction((parse, ct) => Run(async () =>
        {
            var bytes = ParseSize(parse.GetValue(size)!);
            var r = await WalBenchmark.MeasureRecoveryAsync(parse.GetValue(dir)!.FullName, bytes, coldCache: !parse.GetValue(warm), ct).ConfigureAwait(false);
            Console.Out.WriteLine(r.ToString());
            Console.Out.WriteLine(string.Create(Inv, $"recovery_seconds={r.Elapsed.TotalSeconds:F3}"));
            Console.Out.WriteLine(string.Create(Inv, $"recovery_cpu_seconds={r.CpuTime.TotalSeconds:F3}"));
            Console.Out.WriteLine(string.Create(Inv, $"recovery_mib_per_second={r.MiBPerSecond:F0}"));
            return CliErrors.Ok;
        }));
        return command;
    }

    private static Command Resp()
    {
        var host = new Option<string>("--host") { Description = "Node address.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Node's RESP port.", DefaultValueFactory = _ => 6379 };
        var clients = new Option<int>("--clients") { Description = "Connections, each with its own loop.", DefaultValueFactory = _ => 50 };
        var requests = new Option<long>("--requests") { Description = "Requests in all.", DefaultValueFactory = _ => 100_000 };
        var pipeline = new Option<int>("--pipeline") { Description = "Requests in flight per connection.", DefaultValueFactory = _ => 1 };
        var valueBytes = new Option<int>("--value-bytes") { Description = "SET value size.", DefaultValueFactory = _ => 100 };
        var mix = new Option<string>("--mix") { Description = "set, get, or SETS:GETS weights such as 50:50.", DefaultValueFactory = _ => "set" };
        var keyspace = new Option<int>("--keyspace") { Description = "Distinct keys, chosen uniformly.", DefaultValueFactory = _ => 100_000 };
        var rate = new Option<double?>("--rate") { Description = "Latency mode: this many requests/s in all, latency timed from each request's intended send time." };
        var durability = new Option<string?>("--durability") { Description = "Send DURABILITY <level> first on each connection (local, quorum, all, replicas:k...)." };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the raw figures to this JSON file." };
        var waitReplicas = new Option<int>("--wait-replicas") { Description = "Send WAIT <k> after every SET and time the pair as one request (how Redis waits for replicas)." };
        var seconds = new Option<double?>("--seconds") { Description = "Run this long instead of --requests (latency mode: --rate x seconds requests)." };
        var sampleLag = new Option<string?>("--sample-lag") { Description = "Poll this primary's HTTP /status (host:port) every 100 ms during the run and report its replicas' lag p50/p99/max in ms and bytes." };
        var command = new Command("resp", "Load a node over RESP: throughput mode, or latency mode at a fixed rate (--rate); percentiles from a histogram.");
        foreach (var o in new Option[] { host, port, clients, requests, pipeline, valueBytes, mix, keyspace, rate, durability, json, waitReplicas, seconds, sampleLag }) command.Options.Add(o);
        command.SetAction((parse, ct) => Run(async () =>
        {
            var bench = new BenchResp(new BenchResp.Settings(parse.GetValue(host)!, parse.GetValue(port), parse.GetValue(clients),
                parse.GetValue(requests), parse.GetValue(pipeline), parse.GetValue(valueBytes), BenchResp.ParseMix(parse.GetValue(mix)!),
                parse.GetValue(rate), parse.GetValue(durability), parse.GetValue(keyspace), parse.GetValue(waitReplicas),
                parse.GetValue(seconds) is { } s ? Seconds(s) : null));
            var run = bench.RunAsync(ct);
            var lag = parse.GetValue(sampleLag) is { } statusAt
                ? new LagSampler(statusAt, TimeSpan.FromMilliseconds(100)).RunAsync(run, ct) : null;
            if (parse.GetValue(seconds) is { } limit && parse.GetValue(rate) is null)
            {
                // Timed run: progress in elapsed seconds.
                var clock = System.Diagnostics.Stopwatch.StartNew();
                await ShowProgressAsync(run, () => (long)clock.Elapsed.TotalSeconds, (long)Math.Ceiling(limit), "seconds").ConfigureAwait(false);
            }
            else
            {
                var total = parse.GetValue(seconds) is { } timed ? (long)(timed * parse.GetValue(rate)!.Value) : parse.GetValue(requests);
                await ShowProgressAsync(run, () => bench.Completed, total).ConfigureAwait(false);
            }
            var result = await run.ConfigureAwait(false);
            BenchReport.Print(result);
            if (lag is not null)
            {
                var l = await lag.ConfigureAwait(false);
                Console.Out.WriteLine(l.ToString());
                Console.Out.WriteLine(string.Create(Inv, $"lag_samples={l.Samples}"));
                Console.Out.WriteLine(string.Create(Inv, $"lag_p50_ms={l.P50Ms:F2}"));
                Console.Out.WriteLine(string.Create(Inv, $"lag_p99_ms={l.P99Ms:F2}"));
                Console.Out.WriteLine(string.Create(Inv, $"lag_max_ms={l.MaxMs:F2}"));
                Console.Out.WriteLine(string.Create(Inv, $"lag_p99_bytes={l.P99Bytes:F0}"));
                Console.Out.WriteLine(string.Create(Inv, $"lag_max_bytes={l.MaxBytes:F0}"));
            }
            if (parse.GetValue(json) is { } file) BenchReport.WriteJson(result, file.FullName);
            return result.Errors == 0 ? CliErrors.Ok : CliErrors.Failed;
        }));
        return command;
    }

    private static Command Reads()
    {
        var seeds = new Option<string>("--seeds") { Description = "Any of the cluster's nodes, host:port[,host:port...] (RESP ports); the rest is discovered.", Required = true };
        var clients = new Option<int>("--clients") { Description = "Connections per throughput phase (spread over the replicas in the replica phases).", DefaultValueFactory = _ => 16 };
        var pipeline = new Option<int>("--pipeline") { Description = "GETs in flight per connection.", DefaultValueFactory = _ => 16 };
        var seconds = new Option<double>("--seconds") { Description = "Length of each of the four phases.", DefaultValueFactory = _ => 5 };
        var keyspace = new Option<int>("--keyspace") { Description = "Keys preloaded and read, uniformly.", DefaultValueFactory = _ => 10_000 };
        var valueBytes = new Option<int>("--value-bytes") { Description = "Preloaded value size.", DefaultValueFactory = _ => 100 };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of each throughput phase run once, unmeasured, before the rounds (JIT tiering on every node and the client); 0: none.", DefaultValueFactory = _ => 5 };
        var settle = new Option<double>("--settle") { Description = "Seconds idle after the warm-up, while the nodes' JIT finishes tiering up in the background; 0: none.", DefaultValueFactory = _ => 0 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds of the three throughput phases (even rounds in reverse order); ratios are reported per round and as medians.", DefaultValueFactory = _ => 3 };
        var command = new Command("reads", "Read scaling: GETs on the primary alone vs spread over the replicas (eventual and read-your-writes), and read-your-writes latency over eventual.");
        foreach (var o in new Option[] { seeds, clients, pipeline, seconds, keyspace, valueBytes, warmup, settle, rounds }) command.Options.Add(o);
        command.SetAction((parse, ct) => Run(async () =>
        {
            var bench = new BenchReads(new BenchReads.Settings(parse.GetValue(seeds)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                parse.GetValue(clients), parse.GetValue(pipeline), Seconds(parse.GetValue(seconds)), parse.GetValue(keyspace), parse.GetValue(valueBytes),
                TimeSpan.FromSeconds(parse.GetValue(warmup)), parse.GetValue(rounds), TimeSpan.FromSeconds(parse.GetValue(settle)))); // 0: none
            var r = await bench.RunAsync(line => Console.Error.WriteLine(line), ct).ConfigureAwait(false);
            foreach (var round in r.Rounds)
            {
                foreach (var phase in new[] { round.Primary, round.ReplicasEventual, round.ReplicasReadYourWrites })
                    Console.Out.WriteLine(string.Create(Inv,
                        $"round {round.Number} {phase.Name,-28} {phase.PerSecond,10:N0} GET/s  errors {phase.Errors}{(phase.FirstError is { } e ? $" ({e})" : "")}  machine CPU busy {phase.MachineCpuBusy:P0}  bench client CPU {phase.BenchCpu.TotalSeconds:N1} s of {phase.Elapsed.TotalSeconds:N1} s"));
                Console.Out.WriteLine(string.Create(Inv,
                    $"round {round.Number} order {round.Order}: replicas eventual {round.EventualRatio:F2}x, read-your-writes {round.ReadYourWritesRatio:F2}x the primary alone"));
            }
            var l = r.Latency;
            long p50E = l.EventualMicros.ValueAtPercentile(50), p50R = l.ReadYourWritesMicros.ValueAtPercentile(50);
            Console.Out.WriteLine(string.Create(Inv,
                $"latency on a replica during {l.Writes} writes: eventual p50 {p50E} us p99 {l.EventualMicros.ValueAtPercentile(99)} us; read-your-writes (newest write) p50 {p50R} us p99 {l.ReadYourWritesMicros.ValueAtPercentile(99)} us; refused {l.Refused}"));
            // Medians over the rounds (one round: that round's figures).
            Console.Out.WriteLine(string.Create(Inv, $"rounds={r.Rounds.Count}"));
            Console.Out.WriteLine(string.Create(Inv, $"replicas_eventual_vs_primary={r.EventualRatio:F2}"));
            Console.Out.WriteLine(string.Create(Inv, $"replicas_read_your_writes_vs_primary={r.ReadYourWritesRatio:F2}"));
            Console.Out.WriteLine(string.Create(Inv, $"primary_get_per_second={r.PrimaryPerSecond:F0}"));
            Console.Out.WriteLine(string.Create(Inv, $"read_your_writes_added_p50_us={p50R - p50E}"));
            return r.Errors == 0 ? CliErrors.Ok : CliErrors.Failed;
        }));
        return command;
    }

    /// <summary>A progress bar on a terminal; otherwise a line on stderr every 5 seconds.</summary>
    private static async Task ShowProgressAsync(Task run, Func<long> completed, long total, string unit = "requests")
    {
        if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(unit, maxValue: total);
                    while (!run.IsCompleted)
                    {
                        task.Value = completed();
                        await Task.WhenAny(run, Task.Delay(200)).ConfigureAwait(false);
                    }
                    task.Value = completed();
                }).ConfigureAwait(false);
            return;
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long last = 0;
        var lastAt = TimeSpan.Zero;
        while (!run.IsCompleted)
        {
            await Task.WhenAny(run, Task.Delay(5000)).ConfigureAwait(false);
            if (run.IsCompleted) break;
            long now = completed();
            var at = clock.Elapsed;
            Console.Error.WriteLine(ProgressLine(now, total, unit, (now - last) / (at - lastAt).TotalSeconds));
            last = now;
            lastAt = at;
        }
    }

    /// <summary>"bench resp: 4,000/10,000 requests (40.0%), 2,000 requests/s, about 3 s left": the line written every
    /// 5 s when there is no terminal; the estimate is left out until a rate is known.</summary>
    internal static string ProgressLine(long done, long total, string unit, double ratePerSecond)
    {
        var percent = total > 0 ? Math.Min(100, 100.0 * done / total) : 100;
        var line = string.Create(Inv, $"bench resp: {done:N0}/{total:N0} {unit} ({percent:F1}%), {ratePerSecond:N0} {unit}/s");
        return ratePerSecond > 0 ? line + string.Create(Inv, $", about {Math.Max(0, total - done) / ratePerSecond:F0} s left") : line;
    }

    private static async Task<int> Run(Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("akkarepl: bench cancelled");
            return CliErrors.Failed;
        }
        catch (Exception ex)
        {
            return CliErrors.Report(ex);
        }
    }

    private static TimeSpan Seconds(double seconds) =>
        seconds > 0 ? TimeSpan.FromSeconds(seconds) : throw new AkkaReplException("--seconds must be positive");

    internal static long ParseSize(string text)
    {
        var t = text.Trim();
        long unit = 1;
        foreach (var (suffix, factor) in new[] { ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10), ("B", 1L) })
        {
            if (t.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) { unit = factor; t = t[..^suffix.Length].Trim(); break; }
        }
        if (!double.TryParse(t, NumberStyles.Float, Inv, out var n) || n <= 0)
            throw new AkkaReplException($"--size must be a positive size such as 1GiB or 512MiB, not '{text}'");
        return (long)(n * unit);
    }
}
