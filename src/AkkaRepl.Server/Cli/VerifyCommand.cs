using System.CommandLine;
using System.Text.Json;
using AkkaRepl.Server.Http;
using AkkaRepl.Server.Verify;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// <c>akkarepl verify --node HOST:PORT</c>: compares every member's state at one LSN with the primary's and lists
/// the keys that differ. Exit code 0 when all are equal, 1 when a node differs or could not answer.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var node = new Option<string>("--node") { Description = "HTTP address (HOST:PORT, or https://HOST:PORT) of any member; its configured members are verified.", Required = true };
        var timeout = new Option<int>("--timeout-seconds") { Description = "How long each node may take to reach the marker and compute its digest.", DefaultValueFactory = _ => 30 };
        var leafKeys = new Option<int>("--leaf-keys") { Description = "Compare key by key once a differing range holds at most this many keys.", DefaultValueFactory = _ => 64 };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var command = new Command("verify", "Check that every replica's state equals the primary's at one LSN, and list the keys that differ.");
        command.Options.Add(node);
        command.Options.Add(timeout);
        command.Options.Add(leafKeys);
        command.Options.Add(json);
        var token = AdminTokenOption.Create();
        command.Options.Add(token);
        var tls = NodeHttp.Options.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                if (parse.GetValue(timeout) < 1) throw new Core.Errors.AkkaReplException("--timeout-seconds must be at least 1");
                if (parse.GetValue(leafKeys) < 1) throw new Core.Errors.AkkaReplException("--leaf-keys must be at least 1");
                var (address, nodes) = tls.Get(parse, parse.GetValue(node)!);
                using var client = new DigestClient(TimeSpan.FromSeconds(parse.GetValue(timeout)), parse.GetValue(token), nodes);
                var status = await client.StatusAsync(address, ct).ConfigureAwait(false);
                IReadOnlyList<VerifyTarget> targets = status.Members.Count == 0
                    ? [new VerifyTarget(status.NodeId, address)]
                    : status.Members.Select(m => new VerifyTarget(m.Id, m.Id == status.NodeId ? address : NodeHttp.HostPort(m.Host, m.HttpPort))).ToList();
                var report = await new Verifier(client, parse.GetValue(leafKeys)).RunAsync(targets, ct).ConfigureAwait(false);
                if (parse.GetValue(json)) Console.Out.WriteLine(JsonSerializer.Serialize(report, StatusJson.Options));
                else Print(report);
                return report.AllEqual ? CliErrors.Ok : CliErrors.Failed;
            }
            catch (Exception ex)
            {
                return CliErrors.Report(ex);
            }
        });
        return command;
    }

    private static void Print(VerifyReport report)
    {
        Console.Out.WriteLine($"Verified {report.Nodes.Count} node(s) at LSN {report.Lsn:N0} against the primary {report.Reference}:");
        var width = report.Nodes.Max(n => n.NodeId.Length);
        foreach (var n in report.Nodes)
        {
            var keys = n.Keys is { } k ? $"{k:N0} keys" : "";
            var line = n.Result switch
            {
                "equal" => $"equal      {keys}, digest {n.Root?[..16]}",
                "different" => $"DIFFERENT  {keys}: {n.Differences.Count} key(s) differ ({n.RangesCompared} key ranges compared)",
                _ => $"FAILED     {n.Error}",
            };
            Console.Out.WriteLine($"  {n.NodeId.PadRight(width)}  {line}");
            foreach (var d in n.Differences) Console.Out.WriteLine($"      \"{d.Key}\"  {d.Difference}");
            if (n.Result == "different" && n.Error is { } error) Console.Out.WriteLine($"      {error}");
        }
        Console.Out.WriteLine(report.AllEqual ? "All equal." : "Some nodes differ from the primary.");
    }
}
