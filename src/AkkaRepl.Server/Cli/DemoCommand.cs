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
            // n1 starts as the primary, but on a busy machine it can lose its lease while three fresh processes share the
            // cores, and another node is elected: the demo follows whichever node is primary rather than assume n1.
            var primary = await cluster.PrimaryAsync(admin, ct).ConfigureAwait(false);

            var watch = Stopwatch.StartNew();
            primary = await WriteKeysAsync(admin, cluster, primary, "user", keyCount, ct).ConfigureAwait(false);
            Say($"Wrote {keyCount:N0} keys to the primary {primary.Name} in {watch.Elapsed.TotalMilliseconds:F0} ms with quorum durability:");
            Say("  each +OK came only after the primary and at least one replica had the write on disk (fdatasync).");
            await ShowAsync(admin, primary, "Right after the writes", ct).ConfigureAwait(false);

            var stopped = cluster.Nodes.Select((node, index) => (node, index)).Last(n => n.node != primary).index;
            var replica = cluster.Nodes[stopped].Name;
            Say($"Stopping replica {replica} (SIGTERM) and writing more: the other two nodes still make a quorum.");
            await cluster.StopNodeAsync(stopped).ConfigureAwait(false);
            primary = await WriteKeysAsync(admin, cluster, primary, "order", keyCount, ct).ConfigureAwait(false);
            await ShowAsync(admin, primary, $"With {replica} down", ct).ConfigureAwait(false);

            Say($"Starting {replica} again: it resumes from its own WAL position and catches up.");
            await cluster.StartNodeAsync(stopped, ct).ConfigureAwait(false);
            var target = (await admin.StatusAsync($"127.0.0.1:{primary.HttpPort}", ct).ConfigureAwait(false)).FlushedLsn;
            await WaitForAppliedAsync(admin, cluster.Nodes[stopped], target, showProgress: true, ct).ConfigureAwait(false);
            await ShowAsync(admin, primary, $"After {replica} caught up", ct).ConfigureAwait(false);

            // Every node holds the same data, once it applied the primary's log (a node that was primary before an
            // election may still be catching up).
            var end = (await admin.StatusAsync($"127.0.0.1:{primary.HttpPort}", ct).ConfigureAwait(false)).FlushedLsn;
            foreach (var node in cluster.Nodes)
            {
                await WaitForAppliedAsync(admin, node, end, showProgress: false, ct).ConfigureAwait(false);
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

    /// <summary>
    /// Writes <paramref name="count"/> keys through the primary, 64 in flight at a time, and returns the node that is
    /// primary at the end. When the primary steps down mid-way (READONLY, LEASELOST, or a dropped connection), the demo
    /// says so, waits for the cluster's new primary and sends the unconfirmed window again there: a SET written twice
    /// leaves the same value, and the check at the end reads every node.
    /// </summary>
    private static async Task<LocalNode> WriteKeysAsync(AdminClient admin, LocalCluster cluster, LocalNode primary, string prefix, int count, CancellationToken ct)
    {
        const int window = 64; // pipelined: writes in flight share fdatasyncs through group commit
        var sent = 0;
        for (var attempt = 1; ; attempt++)
        {
            string? refused = null;
            try
            {
                await using var redis = await RespConnection.ConnectAsync("127.0.0.1", primary.RespPort, ct).ConfigureAwait(false);
                for (; sent < count && refused is null; sent += refused is null ? window : 0)
                {
                    var n = Math.Min(window, count - sent);
                    for (var i = 0; i < n; i++) redis.Append(["SET", $"{prefix}:{sent + i}", $"value-{sent + i}"]);
                    await redis.FlushAsync(ct).ConfigureAwait(false);
                    for (var i = 0; i < n; i++)
                    {
                        var reply = await redis.ReadAsync(ct).ConfigureAwait(false);
                        if (reply.AsString() == "OK") continue;
                        if (reply.Kind == RespKind.Error && (reply.Text?.StartsWith("READONLY", StringComparison.Ordinal) == true
                                                             || reply.Text?.StartsWith("LEASELOST", StringComparison.Ordinal) == true))
                            refused ??= reply.Text;
                        else throw new AkkaReplException($"the primary {primary.Name} answered '{reply}' to a SET");
                    }
                }
                if (refused is null) return primary;
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
            {
                refused = ex.Message;
            }
            if (attempt == 5) throw new AkkaReplException($"the primary changed {attempt} times while the demo wrote; last: {refused}");
            Say($"  {primary.Name} stopped accepting writes ({refused}); waiting for the cluster's new primary...");
            primary = await cluster.PrimaryAsync(admin, ct).ConfigureAwait(false);
            Say($"  {primary.Name} is the primary now; writing on from key {sent:N0} there.");
        }
    }

    /// <summary>Waits up to 30 s until <paramref name="node"/> applied the log up to <paramref name="target"/>,
    /// polling its status every 100 ms (and saying how far it got each time when <paramref name="showProgress"/>).</summary>
    private static async Task WaitForAppliedAsync(AdminClient admin, LocalNode node, ulong target, bool showProgress, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var applied = (await admin.StatusAsync($"127.0.0.1:{node.HttpPort}", ct).ConfigureAwait(false)).AppliedLsn;
            if (showProgress) Say($"  {node.Name} applied {applied:N0} of {target:N0} ({100.0 * applied / target:F0}%)");
            if (applied >= target) return;
            if (DateTime.UtcNow > deadline) throw new AkkaReplException($"{node.Name} did not apply the primary's log up to {target:N0} within 30 s");
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    private static async Task ShowAsync(AdminClient admin, LocalNode primary, string title, CancellationToken ct)
    {
        var status = await admin.StatusAsync($"127.0.0.1:{primary.HttpPort}", ct).ConfigureAwait(false);
        Say($"{title}: primary {primary.Name}, generation {status.Generation}, flushed LSN {status.FlushedLsn:N0}, committed (quorum) {status.CommittedLsn:N0}");
        foreach (ReplicaStatus r in status.Replicas)
            Say($"  replica {r.NodeId}: {r.State,-13} flushed {r.FlushLsn,10:N0}  applied {r.ApplyLsn,10:N0}  lag {r.LagBytes,9:N0} bytes  {r.LagMs,7:F1} ms");
    }

    private static void Say(string line) => Console.Out.WriteLine(line);
}
