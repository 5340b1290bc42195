using System.Text.Json;
using AkkaRepl.Core.Config;
using AkkaRepl.Hosting;
using AkkaRepl.Hosting.StateMachines;
using AkkaRepl.Hosting.Store;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Primary;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A replicated job queue: the application's own state machine, run by two embedded nodes in this process.
// Usage: JobQueue [--dir DIR]   (data directories go under DIR; a temp folder by default)
var dir = args.Length == 2 && args[0] == "--dir" ? args[1] : Path.Combine(Path.GetTempPath(), "jobqueue-" + Guid.NewGuid().ToString("N")[..8]);

var primary = await StartNodeAsync("a", replicationPort: 0, primaryPort: null);
var replica = await StartNodeAsync("b", replicationPort: 0, primaryPort: PortOf(primary));
var queue = primary.Services.GetRequiredService<IReplicatedState<JobQueue, JobCommand>>();

foreach (var job in new[] { "resize photo 1", "resize photo 2", "send newsletter" })
{
    var enqueued = await queue.ExecuteAsync<long>(new Enqueue(job), Durability.Quorum);
    Console.WriteLine($"enqueued job {enqueued.Result} '{job}' ({enqueued.Receipt})");
}
var claimed = await queue.ExecuteAsync<Job?>(new Claim("worker-1", TimeSpan.FromMinutes(5)), Durability.Quorum);
Console.WriteLine($"worker-1 claimed job {claimed.Result!.Id} '{claimed.Result.Work}' until {claimed.Result.LeasedUntil:HH:mm:ss}");
var done = await queue.ExecuteAsync<Job?>(new Complete(claimed.Result.Id, "worker-1"), Durability.Quorum);
try { await queue.ExecuteAsync<Job?>(new Complete(claimed.Result.Id, "worker-2"), Durability.Quorum); }
catch (CommandRejectedException ex) { Console.WriteLine($"worker-2 cannot complete it: {ex.Message}"); }

// The replica applied the same commands with the same commit timestamps, so it holds the same queue.
var onReplica = await replica.Services.GetRequiredService<IReplicatedState<JobQueue, JobCommand>>()
    .ReadAsync(q => q.Describe(), ReadConsistency.ReadYourWrites(done.Receipt));
var onPrimary = await queue.ReadAsync(q => q.Describe());
Console.WriteLine($"replica's queue: {onReplica.Value}");
Console.WriteLine(onReplica.Value == onPrimary.Value ? "replica and primary hold the same queue" : "MISMATCH between replica and primary");
await replica.StopAsync();
await primary.StopAsync();
return onReplica.Value == onPrimary.Value ? 0 : 1;

async Task<IHost> StartNodeAsync(string id, int replicationPort, int? primaryPort)
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Configuration.AddHoconString($$"""
        akkarepl.node { node-id = {{id}}, data-dir = "{{Path.Combine(dir, id)}}", resp-port = 0, http-port = 0, replication-port = {{replicationPort}} }
        # Static roles: the nodes start on port 0, so automatic failover (every member's address known up front) is off.
        akkarepl.election.enabled = off
        akkarepl.cluster { initial-primary = a, members = [
          { id = a, replication-port = {{primaryPort ?? 1}} }, { id = b, replication-port = 1 } ] }
        """);
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.Services.AddAkkaRepl(builder.Configuration).AddStateMachine<JobQueue, JobCommand>(() => new JobQueue());
    var host = builder.Build();
    await host.StartAsync();
    return host;
}

static int PortOf(IHost host) => host.Services.GetRequiredService<IReplicatedStore>().Endpoints.ReplicationPort;

/// <summary>Commands: JSON records, logged and applied on every node.</summary>
public abstract record JobCommand;
public sealed record Enqueue(string Work) : JobCommand;
public sealed record Claim(string Worker, TimeSpan Lease) : JobCommand;
public sealed record Complete(long Id, string Worker) : JobCommand;

public sealed record Job(long Id, string Work, string? Worker, DateTimeOffset? LeasedUntil);

/// <summary>The queue. Apply reads only the command, the log's commit timestamp and the state: never the clock.</summary>
public sealed class JobQueue : IReplicatedStateMachine<JobCommand>
{
    private SortedDictionary<long, Job> _jobs = new();
    private long _nextId = 1;

    public object? Apply(JobCommand command, ApplyContext context) => command switch
    {
        Enqueue e => Add(new Job(_nextId++, e.Work, null, null)).Id,
        // A job whose lease ran out (by the log's time) can be claimed again.
        Claim c => _jobs.Values.FirstOrDefault(j => j.LeasedUntil is null || j.LeasedUntil < context.CommitTimestamp) is { } free
            ? Add(free with { Worker = c.Worker, LeasedUntil = context.CommitTimestamp + c.Lease }) : null,
        Complete d when _jobs.TryGetValue(d.Id, out var job) && job.Worker == d.Worker => _jobs.Remove(d.Id) ? job : null,
        Complete d => throw new CommandRejectedException($"job {d.Id} is not held by {d.Worker}"),
        _ => throw new CommandRejectedException($"unknown command {command}"),
    };

    private Job Add(Job job) => _jobs[job.Id] = job;

    public void WriteSnapshot(Stream destination) => JsonSerializer.Serialize(destination, new Image(_nextId, _jobs.Values.ToList()));

    public void ReadSnapshot(Stream source)
    {
        var image = JsonSerializer.Deserialize<Image>(source)!;
        (_nextId, _jobs) = (image.NextId, new SortedDictionary<long, Job>(image.Jobs.ToDictionary(j => j.Id)));
    }

    private sealed record Image(long NextId, List<Job> Jobs);

    public void OnRoleChanged(NodeRole role) => Console.WriteLine($"this node is now {role.ToString().ToLowerInvariant()}");

    public string Describe() => string.Join("; ", _jobs.Values.Select(j => $"{j.Id} '{j.Work}'{(j.Worker is null ? "" : $" held by {j.Worker}")}"));
}
