using AkkaRepl.Core.Config;
using AkkaRepl.Core.Ids;
using AkkaRepl.Hosting;
using AkkaRepl.Hosting.StateMachines;
using AkkaRepl.Hosting.Store;
using AkkaRepl.Replication.Primary;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

/// <summary>A member's ports, as the demo reserved them.</summary>
public sealed record MemberPorts(string Id, int ReplicationPort, int HttpPort)
{
    public override string ToString() => $"{Id}:{ReplicationPort}:{HttpPort}";
    public static MemberPorts Parse(string text) => text.Split(':') is [var id, var repl, var http]
        ? new MemberPorts(id, int.Parse(repl), int.Parse(http))
        : throw new FormatException($"expected ID:REPLICATION-PORT:HTTP-PORT, got '{text}'");
}

/// <summary>
/// One ledger node: this process runs an AkkaRepl node inside its host (<c>AddAkkaRepl</c>) with the
/// <see cref="Ledger"/> state machine, and takes the demo's commands, one per line, on stdin (the application's own
/// front end; AkkaRepl's RESP port serves only the key-value store). Answers, and every role change of this node,
/// go to stdout; the node's log goes to stderr. Closing stdin stops the host cleanly.
/// <code>
/// in:  open TAG ACCOUNT BALANCE | transfer TAG ID FROM TO AMOUNT | audit TAG linearizable|LSN
/// out: ready ID | role ID ROLE GENERATION REASON | ok TAG GENERATION END-LSN | refused TAG REASON
///      | failed TAG EXCEPTION MESSAGE | audit TAG TOTAL APPLIED-LSN ID,ID,...
/// </code>
/// </summary>
internal static class LedgerNode
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string id, string dir, IReadOnlyList<MemberPorts> members)
    {
        var self = members.Single(m => m.Id == id);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddHoconString($$"""
            akkarepl.node { node-id = {{id}}, data-dir = "{{Path.Combine(dir, id)}}", resp-port = 0, http-port = {{self.HttpPort}}, replication-port = {{self.ReplicationPort}} }
            # Every member's address is known up front (the demo reserved the ports), so automatic failover is on.
            akkarepl.cluster { initial-primary = a, members = [{{string.Join(", ", members.Select(m =>
                $"{{ id = {m.Id}, replication-port = {m.ReplicationPort}, http-port = {m.HttpPort} }}"))}}] }
            # Quorum writes that wait for their durability rather than degrade: an acknowledged transfer is on 2 of 3.
            akkarepl.replication { durability = quorum, on-timeout = block }
            # Slower than the defaults (500 ms lease, 800 ms election timeout): this demo often runs on a busy laptop or
            # CI machine, where a starved primary would lose a 500 ms lease without anyone killing it.
            akkarepl.election { lease = 1 s, clock-drift-margin = 300 ms, election-timeout = 1500 ms }
            """, $"{id}.conf");
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true)
            .AddFilter("AkkaRepl", LogLevel.Information).SetMinimumLevel(LogLevel.Warning)
            .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddAkkaRepl(builder.Configuration).AddStateMachine<Ledger, LedgerCommand>(() => new Ledger());
        using var host = builder.Build();
        await host.StartAsync();
        var store = host.Services.GetRequiredService<IReplicatedStore>();
        var ledger = host.Services.GetRequiredService<IReplicatedState<Ledger, LedgerCommand>>();
        using var stop = new CancellationTokenSource();
        var roles = Task.Run(async () =>
        {
            try
            {
                await foreach (var change in store.WatchRoleChangesAsync(stop.Token))
                    Console.WriteLine($"role {id} {change.Role.ToString().ToLowerInvariant()} {change.Generation.Value} {change.Reason}");
            }
            catch (OperationCanceledException) { }
        });
        Console.WriteLine($"ready {id}");

        var pending = new List<Task>();
        while (await Console.In.ReadLineAsync() is { } line)
        {
            pending.RemoveAll(t => t.IsCompleted);
            pending.Add(Task.Run(() => HandleAsync(ledger, line.Split(' '))));
        }
        await Task.WhenAll(pending);
        await stop.CancelAsync();
        await roles;
        await host.StopAsync();
        return 0;
    }

    private static async Task HandleAsync(IReplicatedState<Ledger, LedgerCommand> ledger, string[] words)
    {
        var tag = words.Length > 1 ? words[1] : "?";
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            switch (words)
            {
                case ["open", _, var account, var balance]:
                    Ok(tag, await ledger.ExecuteAsync<long>(new Open(account, long.Parse(balance)), Durability.Quorum, timeout.Token));
                    break;
                case ["transfer", _, var transfer, var from, var to, var amount]:
                    Ok(tag, await ledger.ExecuteAsync<long>(new Transfer(transfer, from, to, long.Parse(amount)), Durability.Quorum, timeout.Token));
                    break;
                case ["audit", _, var level]:
                    var consistency = level == "linearizable" ? ReadConsistency.Linearizable : ReadConsistency.ReadYourWrites(new Lsn(ulong.Parse(level)));
                    var read = await ledger.ReadAsync(l => (Total: l.Total(), Ids: l.TransferIds()), consistency, timeout.Token);
                    Console.WriteLine($"audit {tag} {read.Value.Total} {read.AppliedLsn.Value} {string.Join(',', read.Value.Ids)}");
                    break;
                default:
                    Console.WriteLine($"failed {tag} BadCommand {string.Join(' ', words)}");
                    break;
            }
        }
        catch (CommandRejectedException ex) { Console.WriteLine($"refused {tag} {ex.Message}"); }
        catch (Exception ex) { Console.WriteLine($"failed {tag} {ex.GetType().Name} {ex.Message.ReplaceLineEndings(" ")}"); }
    }

    private static void Ok(string tag, CommandResult<long> result)
    {
        // With on-timeout = block a quorum write is answered only once 2 of 3 hold it; say so only when the receipt does.
        if (result.Receipt.Degraded)
            Console.WriteLine($"failed {tag} Degraded {result.Receipt}");
        else
            Console.WriteLine($"ok {tag} {result.Receipt.Generation.Value} {result.Receipt.EndLsn.Value}");
    }
}
