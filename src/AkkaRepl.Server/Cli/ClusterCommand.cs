using System.CommandLine;
using System.Runtime.InteropServices;

namespace AkkaRepl.Server.Cli;

/// <summary><c>akkarepl cluster</c>: a local cluster of node processes on loopback until Ctrl-C.</summary>
internal static class ClusterCommand
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = "How many nodes (the first is the primary).", DefaultValueFactory = _ => 3 };
        var dir = new Option<DirectoryInfo>("--dir") { Description = "Directory for the generated configs and the nodes' data.", Required = true };
        var basePort = new Option<int?>("--base-port") { Description = "Node i listens on base+10i (RESP), +1 (HTTP), +2 (replication). Default: the first free from 7400." };
        var durability = new Option<string>("--durability") { Description = "Default durability of writes.", DefaultValueFactory = _ => "quorum" };
        var command = new Command("cluster", "Start a local cluster: one primary and replicas as separate processes on loopback, until Ctrl-C.");
        command.Options.Add(nodes);
        command.Options.Add(dir);
        command.Options.Add(basePort);
        command.Options.Add(durability);
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var count = parse.GetValue(nodes);
                if (count is < 1 or > 9) throw new Core.Errors.AkkaReplException("--nodes must be between 1 and 9");
                var directory = parse.GetValue(dir)!.FullName;
                var given = parse.GetValue(basePort);
                if (given is < 1 || given > LocalCluster.MaxBasePort(count))
                    throw new Core.Errors.AkkaReplException(
                        $"--base-port {given} is out of range: with {count} node(s) it must be between 1 and {LocalCluster.MaxBasePort(count)} (node i uses base+10i .. base+10i+2)");
                var port = given ?? LocalCluster.FindFreeBasePort(7400, count);
                var configs = LocalCluster.WriteConfigs(directory, count, port, parse.GetValue(durability)!);
                Console.Out.WriteLine($"Configs written to {directory}; starting {count} nodes...");
                using var stop = new CancellationTokenSource();
                using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
                using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
                var gate = new object();
                await using var cluster = await LocalCluster.StartAsync(directory, configs, (name, line) =>
                {
                    lock (gate)
                    {
                        if (line.StartsWith("READY ", StringComparison.Ordinal)) Console.Out.WriteLine($"[{name}] {line}");
                        else Console.Error.WriteLine($"[{name}] {line}");
                    }
                }, TimeSpan.FromSeconds(60), stop.Token).ConfigureAwait(false);
                // Ready once a node accepts writes, and named: usually n1, but an election right after start can pick another.
                using (var admin = new AdminClient())
                {
                    var primary = await cluster.PrimaryAsync(admin, stop.Token).ConfigureAwait(false);
                    Console.Out.WriteLine($"Cluster ready. Primary {primary.Name}: redis-cli -p {primary.RespPort}; status: akkarepl status --node 127.0.0.1:{primary.HttpPort}. Ctrl-C stops all nodes.");
                }
                try { await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { }
                Console.Out.WriteLine("Stopping the nodes...");
                return CliErrors.Ok;
            }
            catch (OperationCanceledException)
            {
                return CliErrors.Ok;
            }
            catch (Exception ex)
            {
                return CliErrors.Report(ex);
            }
        });
        return command;
    }
}
