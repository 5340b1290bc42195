using System.CommandLine;
using System.Text.Json;
using AkkaRepl.Server.Http;
using Spectre.Console;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// <c>akkarepl status --node HOST:PORT</c>: the whole cluster as a table, from any one node's HTTP address.
/// Exits non-zero when no primary is reachable or a replica needs a rebuild, so it works as a health check.
/// </summary>
internal static class StatusCommand
{
    public const int Unhealthy = 3;

    public static Command Create()
    {
        var node = new Option<string>("--node") { Description = "Any node's HTTP address, HOST:PORT (https://HOST:PORT for HTTPS).", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the statuses as JSON, for scripts." };
        var watch = new Option<bool>("--watch") { Description = "Refresh every second until Ctrl-C." };
        var command = new Command("status", "Show the cluster: roles, generation, log positions, lag and link state.");
        command.Options.Add(node);
        var token = AdminTokenOption.Create();
        command.Options.Add(token);
        command.Options.Add(json);
        command.Options.Add(watch);
        var tls = NodeHttp.Options.AddTo(command);
        command.SetAction((parse, ct) =>
            RunAsync(parse.GetValue(node)!, parse.GetValue(json), parse.GetValue(watch), Console.Out, AnsiConsole.Console, ct, parse.GetValue(token),
                parse.GetValue(tls.TlsOption), parse.GetValue(tls.CaOption)));
        return command;
    }

    /// <summary>The verb's work, with its outputs passed in so tests can read them: JSON goes to
    /// <paramref name="jsonOut"/>, tables to <paramref name="console"/>. Returns the exit code.</summary>
    internal static async Task<int> RunAsync(string node, bool json, bool watch, TextWriter jsonOut, IAnsiConsole console, CancellationToken ct,
        string? token = null, bool tls = false, string? caFile = null)
    {
        try
        {
            var (address, nodes) = NodeHttp.Parse(node, tls, caFile);
            CheckAddress(address);
            using var admin = new AdminClient(token, nodes);
            if (watch)
            {
                var code = CliErrors.Ok;
                await console.Live(new Text("...")).StartAsync(async live =>
                {
                    while (!ct.IsCancellationRequested)
                    {
                        try
                        {
                            var (table, healthy) = await BuildAsync(admin, address, ct).ConfigureAwait(false);
                            live.UpdateTarget(table);
                            code = healthy ? CliErrors.Ok : Unhealthy;
                        }
                        catch (Core.Errors.AkkaReplException ex) // the node went away: say so and keep watching
                        {
                            live.UpdateTarget(new Markup($"[red]{Markup.Escape(ex.Message)}[/] (retrying every second)"));
                            code = CliErrors.Failed;
                        }
                        try { await Task.Delay(1000, ct).ConfigureAwait(false); } catch (OperationCanceledException) { }
                    }
                }).ConfigureAwait(false);
                return code;
            }
            if (json)
            {
                var all = await admin.ClusterAsync(address, ct).ConfigureAwait(false);
                await jsonOut.WriteLineAsync(JsonSerializer.Serialize(all.Select(a => (object?)a.Status ?? new { nodeId = a.Member.Id, error = a.Error }), StatusJson.Options)).ConfigureAwait(false);
                return Healthy(all.Select(a => a.Status)) ? CliErrors.Ok : Unhealthy;
            }
            var (t, ok) = await BuildAsync(admin, address, ct).ConfigureAwait(false);
            console.Write(t);
            return ok ? CliErrors.Ok : Unhealthy;
        }
        catch (Exception ex)
        {
            return CliErrors.Report(ex);
        }
    }

    /// <summary>HOST:PORT with a port number, or a clear error (not a stack trace from deep inside HttpClient).</summary>
    private static void CheckAddress(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address[(colon + 1)..], out var port) || port is < 1 or > 65535)
            throw new Core.Errors.AkkaReplException($"--node '{address}' is not HOST:PORT (the node's HTTP address, e.g. 127.0.0.1:8080)");
    }

    private static bool Healthy(IEnumerable<Node.NodeStatus?> statuses)
    {
        var list = statuses.ToList();
        return list.Any(s => s?.Role == "primary" && s.AcceptsWrites)
               && !list.Any(s => s?.Replicas.Any(r => r.State == "needs-rebuild") == true || s?.Upstream?.State == "needs-rebuild");
    }

    private static async Task<(Table, bool)> BuildAsync(AdminClient admin, string address, CancellationToken ct)
    {
        var all = await admin.ClusterAsync(address, ct).ConfigureAwait(false);
        var primary = all.Select(a => a.Status).FirstOrDefault(s => s?.Role == "primary");
        var table = new Table().Title($"AkkaRepl cluster via {address}").AddColumns("node", "role", "gen", "written", "flushed", "applied", "committed", "lag bytes", "lag ms", "link", "headroom");
        foreach (var (member, status, error) in all)
        {
            if (status is null)
            {
                // Unreachable itself, but the primary still knows how far behind it is and whether it can come back.
                var known = primary?.Replicas.FirstOrDefault(r => r.NodeId == member.Id);
                table.AddRow(member.Id, "[red]unreachable[/]", "", "", known?.FlushLsn.ToString() ?? "", known?.ApplyLsn.ToString() ?? "", "",
                    known?.LagBytes.ToString() ?? "", "", Markup.Escape(known is null ? error ?? "" : $"{known.State} ({error})"),
                    known is null ? "" : FormatBytes(known.HeadroomBytes));
                continue;
            }
            if (status.Recovery is { } recovery)
            {
                // Starting: no role yet; its positions are what it has recovered so far.
                table.AddRow(status.NodeId, "[yellow]recovering[/]", "", status.WrittenLsn.ToString(), status.FlushedLsn.ToString(),
                    status.AppliedLsn.ToString(), "", "", "", Markup.Escape(recovery.Text), "");
                continue;
            }
            var seen = primary?.Replicas.FirstOrDefault(r => r.NodeId == status.NodeId);
            table.AddRow(
                status.NodeId,
                status.Role == "primary" ? "[green]primary[/]" : status.Role,
                status.Generation.ToString(),
                status.WrittenLsn.ToString(),
                status.FlushedLsn.ToString(),
                status.AppliedLsn.ToString(),
                status.CommittedLsn.ToString(),
                seen?.LagBytes.ToString() ?? (status.Role == "primary" ? "" : status.Upstream?.LagBytes.ToString() ?? ""),
                seen?.LagMs.ToString("F1") ?? "",
                status.Role == "primary" ? (status.Degraded ? "[yellow]degraded[/]" : "") : LinkText(seen, status.Upstream),
                seen is null ? "" : FormatBytes(seen.HeadroomBytes));
        }
        return (table, Healthy(all.Select(a => a.Status)));
    }

    /// <summary>A replica's link state as its upstream sees it (else as it sees itself), with the percent while it
    /// catches up or is rebuilt, so <c>--watch</c> shows that long work move.</summary>
    internal static string LinkText(Node.ReplicaStatus? seen, Node.UpstreamStatus? upstream)
    {
        var state = seen?.State ?? upstream?.State ?? "";
        var percent = seen?.CatchUpPercent ?? upstream?.RebuildPercent;
        return percent is { } p ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{state} {p:F1}%") : state;
    }

    private static string FormatBytes(long bytes) =>
        bytes >= 1 << 30 ? $"{bytes / (double)(1 << 30):F1} GiB" : bytes >= 1 << 20 ? $"{bytes / (double)(1 << 20):F1} MiB" : $"{bytes / 1024.0:F0} KiB";
}
