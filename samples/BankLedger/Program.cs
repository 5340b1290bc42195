using System.Collections.Concurrent;
using System.Text.Json;
using AkkaRepl.Core.Config;
using AkkaRepl.Hosting;
using AkkaRepl.Hosting.StateMachines;
using AkkaRepl.Hosting.Store;
using AkkaRepl.Replication.Primary;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A bank ledger on a 3-node cluster in this process: transfers at quorum durability, the primary is stopped mid-run,
// and the survivors must still hold every acknowledged transfer with balances that sum to the starting total.
// Usage: BankLedger [--dir DIR] [--seed N] [--stop-primary-after N]
var dir = Arg("--dir") ?? Path.Combine(Path.GetTempPath(), "bankledger-" + Guid.NewGuid().ToString("N")[..8]);
var seed = int.Parse(Arg("--seed") ?? Environment.TickCount.ToString());
var stopAfter = int.Parse(Arg("--stop-primary-after") ?? "150");
const int Accounts = 10, Opening = 1_000, Workers = 4;
string[] ids = ["a", "b", "c"];
var ports = new Dictionary<string, (int Repl, int Http)>();
var hosts = new Dictionary<string, IHost>();
Console.WriteLine($"seed {seed}; data in {dir}");

// Start every node on free ports, then restart each once so every config names every member's real ports
// (a node finds a new primary by asking its peers' HTTP status).
foreach (var id in ids) hosts[id] = await StartAsync(id);
foreach (var id in ids) { await hosts[id].StopAsync(); hosts[id].Dispose(); hosts[id] = await StartAsync(id); }

var primary = "a";
for (var i = 0; i < Accounts; i++) await Ledger(primary).ExecuteAsync<long>(new Open($"acct{i}", Opening), Durability.Quorum);
Console.WriteLine($"opened {Accounts} accounts with {Opening} each: total {Accounts * Opening}");

var acknowledged = new ConcurrentBag<string>();
var random = new Random(seed);
var plans = Enumerable.Range(0, 10_000).Select(n => new Transfer($"t{n}", $"acct{random.Next(Accounts)}", $"acct{random.Next(Accounts)}", random.Next(1, 200))).ToArray();
var next = -1;
var workers = Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
{
    while (Interlocked.Increment(ref next) is var n && n < plans.Length)
    {
        try
        {
            await Ledger(primary).ExecuteAsync<long>(plans[n], Durability.Quorum);
            acknowledged.Add(plans[n].Id);
        }
        catch (CommandRejectedException) { /* not enough money: refused on every node, nothing moved */ }
        catch (Exception) { return; } // the primary went away: this transfer's outcome is unknown, stop this worker
    }
})).ToArray();

while (acknowledged.Count < stopAfter) await Task.Delay(10);
Console.WriteLine($"stopping primary {primary} after {acknowledged.Count} acknowledged transfers");
await hosts[primary].StopAsync(); // in-flight transfers fail; their outcome is unknown to their workers
hosts[primary].Dispose();
hosts.Remove(primary);
await Task.WhenAll(workers);
var survivors = hosts.Keys.ToList();

// With automatic failover off (see the config below), no new primary appears by itself: wait a little for one, then
// promote the most up-to-date replica (highest flushed LSN), as an operator would with `akkarepl promote`.
var elected = await WaitForPrimaryAsync(survivors, TimeSpan.FromSeconds(3));
if (elected is null)
{
    elected = survivors.MaxBy(id => Store(id).GetStatus().FlushedLsn)!;
    Console.WriteLine($"no new primary appeared: promoting the most up-to-date replica, {elected}");
    await Store(elected).PromoteAsync("BankLedger sample: the primary is gone and no new one appeared");
}
primary = elected;
Console.WriteLine($"new primary: {primary} (generation {Store(primary).Generation})");

// A transfer at quorum on the new primary waits for the other survivor to follow it: the cluster is writable again.
var after = await Ledger(primary).ExecuteAsync<long>(new Transfer("after-failover", "acct0", "acct1", 1), Durability.Quorum);
var book = (await Ledger(primary).ReadAsync(l => (l.Total(), l.Applied(acknowledged)), ReadConsistency.Linearizable)).Value;
var replica = survivors.Single(id => id != primary);
var copy = (await Ledger(replica).ReadAsync(l => l.Total(), ReadConsistency.ReadYourWrites(after.Receipt))).Value;
Console.WriteLine($"acknowledged transfers: {acknowledged.Count}; present on the new primary: {book.Item2}");
Console.WriteLine($"total on the new primary: {book.Item1}; on replica {replica}: {copy}");
var ok = book.Item2 == acknowledged.Count && book.Item1 == Accounts * Opening && copy == book.Item1;
Console.WriteLine(ok ? "every acknowledged transfer survived and the money adds up" : "LOST MONEY OR TRANSFERS");
foreach (var host in hosts.Values) await host.StopAsync();
return ok ? 0 : 1;

IReplicatedStore Store(string id) => hosts[id].Services.GetRequiredService<IReplicatedStore>();
IReplicatedState<Ledger, LedgerCommand> Ledger(string id) => hosts.TryGetValue(id, out var h)
    ? h.Services.GetRequiredService<IReplicatedState<Ledger, LedgerCommand>>()
    : throw new InvalidOperationException($"node {id} is stopped");

async Task<string?> WaitForPrimaryAsync(List<string> candidates, TimeSpan patience)
{
    var until = DateTime.UtcNow + patience;
    while (DateTime.UtcNow < until)
    {
        if (candidates.FirstOrDefault(id => Store(id).Role == AkkaRepl.Replication.Cluster.NodeRole.Primary) is { } found) return found;
        await Task.Delay(100);
    }
    return null;
}

async Task<IHost> StartAsync(string id)
{
    string Member(string m) => $"{{ id = {m}, replication-port = {(ports.TryGetValue(m, out var p) ? p.Repl : 1)}, http-port = {(ports.TryGetValue(m, out var q) ? q.Http : 1)}, resp-port = 1 }}";
    var own = ports.TryGetValue(id, out var mine) ? mine : (0, 0);
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Configuration.AddHoconString($$"""
        akkarepl.node { node-id = {{id}}, data-dir = "{{Path.Combine(dir, id)}}", resp-port = 0, http-port = {{own.Item2}}, replication-port = {{own.Item1}} }
        akkarepl.cluster { initial-primary = a, members = [{{string.Join(", ", ids.Select(Member))}}] }
        # The nodes start on port 0 (each learns the others' ports only as they start), so automatic failover, which
        # needs every member's address up front, is off here and the sample promotes a survivor itself (below).
        akkarepl.election.enabled = off
        """);
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.Services.AddAkkaRepl(builder.Configuration).AddStateMachine<Ledger, LedgerCommand>(() => new Ledger());
    var host = builder.Build();
    await host.StartAsync();
    var endpoints = host.Services.GetRequiredService<IReplicatedStore>().Endpoints;
    ports[id] = (endpoints.ReplicationPort, endpoints.HttpPort);
    return host;
}

string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

/// <summary>Ledger commands, logged and applied on every node.</summary>
public abstract record LedgerCommand;
public sealed record Open(string Account, long Balance) : LedgerCommand;
public sealed record Transfer(string Id, string From, string To, long Amount) : LedgerCommand;

/// <summary>Balances, and the ids of applied transfers (so the sample can check none was lost).</summary>
public sealed class Ledger : IReplicatedStateMachine<LedgerCommand>
{
    private Dictionary<string, long> _balances = new();
    private HashSet<string> _transfers = new();

    public object? Apply(LedgerCommand command, ApplyContext context)
    {
        switch (command)
        {
            case Open open:
                return _balances[open.Account] = open.Balance;
            case Transfer t when _balances.GetValueOrDefault(t.From) < t.Amount:
                throw new CommandRejectedException($"{t.From} holds {_balances.GetValueOrDefault(t.From)}, less than {t.Amount}");
            case Transfer t:
                _balances[t.From] -= t.Amount;
                _balances[t.To] = _balances.GetValueOrDefault(t.To) + t.Amount;
                _transfers.Add(t.Id);
                return _balances[t.From];
            default:
                throw new CommandRejectedException($"unknown command {command}");
        }
    }

    public long Total() => _balances.Values.Sum();
    public int Applied(IEnumerable<string> ids) => ids.Count(_transfers.Contains);

    public void WriteSnapshot(Stream destination) => JsonSerializer.Serialize(destination, new Image(_balances, _transfers));

    public void ReadSnapshot(Stream source)
    {
        var image = JsonSerializer.Deserialize<Image>(source)!;
        (_balances, _transfers) = (image.Balances, image.Transfers);
    }

    private sealed record Image(Dictionary<string, long> Balances, HashSet<string> Transfers);
}
