using System.CommandLine;
using System.Diagnostics;
using AkkaRepl.Client.Resp;
using AkkaRepl.Core.Errors;
using AkkaRepl.Server.Node;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// <c>akkarepl demo</c>: starts a local three-node cluster as separate processes, writes through the primary
/// with quorum durability over the Redis protocol, shows the replicas' positions and lag, stops one replica,
/// writes on (a quorum still holds), starts it again and shows it catch up, then checks every node holds the
/// same data and stops them all cleanly.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var dir = new Option<DirectoryInfo?>("--dir") { Description = "Directory for configs and data (default: a new temporary one, deleted afterwards)." };
        var keys = new Option<int>("--keys") { Description = "How many keys the demo writes in each round.", DefaultValueFactory = _ => 20_000 };
        var command = new Command("demo", "Start a local 3-node cluster, write to it, stop and restart a replica, and show it catching up.");
        command.Options.Add(dir);
        command.Options.Add(keys);
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                return await RunAsync(parse.GetValue(dir)?.FullName, parse.GetValue(keys), ct).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                return CliErrors.Report(ex);
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(string? dir, int keyCount, CancellationToken ct)
    {
        if (keyCount < 1) throw new AkkaReplException("--keys must be at least 1");
        var scratch = dir is null;
        var directory = dir ?? Path.Combine(Path.GetTempPath(), "akkarepl-demo-" + Environment.ProcessId);
        try
        {
            var basePort = LocalCluster.FindFreeBasePort(7400, 3);
            var configs = LocalCluster.WriteConfigs(directory, 3, basePort, "quorum");
            Say($"Starting a 3-node cluster in {directory} (configs: n1.conf .. n3.conf)");
            await using var cluster = await LocalCluster.StartAsync(directory, configs, (name, line) =>
            {
                if (line.StartsWith("READY ", StringComparison.Ordinal)) Say($"  [{name}] {line}");
            }, TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
            using var admin = new AdminClient();
            var primary = cluster.Nodes[0];

            await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", primary.RespPort, ct).ConfigureAwait(false))
            {
                var watch = Stopwatch.StartNew();
                await WriteKeysAsync(redis, "user", keyCount, ct).ConfigureAwait(false);
                Say($"Wrote {keyCount:N0} keys to the primary n1 in {watch.Elapsed.TotalMilliseconds:F0} ms with quorum durability:");
                Say("  each +OK came only after the primary and at least one replica had the write on disk (fdatasync).");
            }
            await ShowAsync(admin, cluster, "Right after the writes", ct).ConfigureAwait(false);

            Say("Stopping replica n3 (SIGTERM) and writing more: n1 and n2 still make a quorum.");
            await cluster.StopNodeAsync(2).ConfigureAwait(false);
            await using (var redis = await RespConnection.ConnectAsync("127.0.0.1", primary.RespPort, ct).ConfigureAwait(false))
                await WriteKeysAsync(redis, "order", keyCount, ct).ConfigureAwait(false);
            await ShowAsync(admin, cluster, "With n3 down", ct).ConfigureAwait(false);

            Say("Starting n3 again: it resumes from its own WAL position and catches up.");
            await cluster.StartNodeAsync(2, ct).ConfigureAwait(false);
            var target = (await admin.StatusAsync($"127.0.0.1:{primary.HttpPort}", ct).ConfigureAwait(false)).FlushedLsn;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                var n3 = await admin.StatusAsync($"127.0.0.1:{cluster.Nodes[2].HttpPort}", ct).ConfigureAwait(false);
                Say($"  n3 applied {n3.AppliedLsn:N0} of {target:N0} ({100.0 * n3.AppliedLsn / target:F0}%)");
                if (n3.AppliedLsn >= target) break;
                if (DateTime.UtcNow > deadline) throw new AkkaReplException("n3 did not catch up within 30 s");
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
            await ShowAsync(admin, cluster, "After n3 caught up", ct).ConfigureAwait(false);

            // Every node holds the same data.
            foreach (var node in cluster.Nodes)
            {
                await using var redis = await RespConnection.ConnectAsync("127.0.0.1", node.RespPort, ct).ConfigureAwait(false);
                var size = (await redis.ExecuteAsync(ct, "DBSIZE").ConfigureAwait(false)).Integer;
                var last = (await redis.ExecuteAsync(ct, "GET", $"order:{keyCount - 1}").ConfigureAwait(false)).AsString();
                Say($"  {node.Name}: DBSIZE {size}, order:{keyCount - 1} = {last}");
                if (size != 2 * keyCount || last != $"value-{keyCount - 1}")
                {
                    Console.Error.WriteLine($"akkarepl: demo check failed on {node.Name}: expected DBSIZE {2 * keyCount}");
                    return CliErrors.Failed;
                }
            }
            Say("Every node holds every acknowledged write. Stopping the cluster.");
            return CliErrors.Ok;
        }
        finally
        {
            if (scratch && Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task WriteKeysAsync(RespConnection redis, string prefix, int count, CancellationToken ct)
    {
        const int window = 64; // pipelined: writes in flight share fdatasyncs through group commit
        for (var sent = 0; sent < count; sent += window)
        {
            var n = Math.Min(window, count - sent);
            for (var i = 0; i < n; i++) redis.Append([ "SET", $"{prefix}:{sent + i}", $"value-{sent + i}" ]);
            await redis.FlushAsync(ct).ConfigureAwait(false);
            for (var i = 0; i < n; i++)
            {
                var reply = await redis.ReadAsync(ct).ConfigureAwait(false);
                if (reply.AsString() != "OK") throw new AkkaReplException($"the primary answered '{reply}' to a SET");
            }
        }
    }

    private static async Task ShowAsync(AdminClient admin, LocalCluster cluster, string title, CancellationToken ct)
    {
        var primary = await admin.StatusAsync($"127.0.0.1:{cluster.Nodes[0].HttpPort}", ct).ConfigureAwait(false);
        Say($"{title}: primary n1, generation {primary.Generation}, flushed LSN {primary.FlushedLsn:N0}, committed (quorum) {primary.CommittedLsn:N0}");
        foreach (ReplicaStatus r in primary.Replicas)
            Say($"  replica {r.NodeId}: {r.State,-13} flushed {r.FlushLsn,10:N0}  applied {r.ApplyLsn,10:N0}  lag {r.LagBytes,9:N0} bytes  {r.LagMs,7:F1} ms");
    }

    private static void Say(string line) => Console.Out.WriteLine(line);
}
