using System.Diagnostics;
using AkkaRepl.Core.Config;
using AkkaRepl.Hosting;
using AkkaRepl.Hosting.Store;
using AkkaRepl.Replication.Primary;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// An activity feed: posts are written on the primary with `local` durability (fast: no replica round trip), and
// read from a replica. The replica applies with a delay here, so its lag is visible: an eventual read there misses
// the newest post, while a read-your-writes read waits until the replica applied the poster's write.
// Usage: ActivityFeed [--dir DIR] [--replica-delay-ms N]
var dir = Arg("--dir") ?? Path.Combine(Path.GetTempPath(), "activityfeed-" + Guid.NewGuid().ToString("N")[..8]);
var delayMs = int.Parse(Arg("--replica-delay-ms") ?? "300");

var primary = await StartAsync("web1", primaryReplicationPort: null);
var replica = await StartAsync("web2", primaryReplicationPort: Store(primary).Endpoints.ReplicationPort);
var writer = Store(primary);
var reader = Store(replica);
var missed = 0;

for (var n = 1; n <= 3; n++)
{
    var key = $"feed:alice:{n}";
    var posted = await writer.SetAsync(key, $"alice's post #{n}", Durability.Local);
    Console.WriteLine($"alice posted #{n}: {posted}");

    // Another user reads the replica with eventual consistency: whatever it applied so far.
    var eventual = await reader.GetAsync(key);
    var lag = posted.EndLsn.Value - Math.Min(posted.EndLsn.Value, reader.AppliedLsn.Value);
    Console.WriteLine($"  eventual read on the replica: {eventual.Value ?? "(not there yet)"}; the replica is {lag} bytes behind this post");

    // Alice reads with her last receipt as the token: the replica waits until it applied her write, so she always
    // sees her own post, whichever node serves her.
    var watch = Stopwatch.StartNew();
    var own = await reader.GetAsync(key, ReadConsistency.ReadYourWrites(posted));
    Console.WriteLine($"  read-your-writes on the replica: {own.Value} (waited {watch.ElapsedMilliseconds} ms for LSN {posted.EndLsn})");
    // The lag in time, from the commit timestamp the primary wrote into the log with the post.
    var appliedAfter = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / 10 - posted.CommitTimestampMicros;
    Console.WriteLine($"  the replica applied it {appliedAfter / 1000} ms after the primary committed it (apply-delay {delayMs} ms)");
    if (own.Value != $"alice's post #{n}") return 1;
    if (eventual.Value is null) missed++;
}
Console.WriteLine($"eventual reads right after posting missed {missed} of 3 posts: the replica lags behind the primary");
Console.WriteLine("why alice still saw hers: each read carried her post's end LSN, and the replica answered only once it had applied up to it");
await replica.StopAsync();
await primary.StopAsync();
Console.WriteLine("alice saw each of her posts on the replica");
return 0;

IReplicatedStore Store(IHost host) => host.Services.GetRequiredService<IReplicatedStore>();

async Task<IHost> StartAsync(string id, int? primaryReplicationPort)
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Configuration.AddHoconString($$"""
        akkarepl.node { node-id = {{id}}, data-dir = "{{Path.Combine(dir, id)}}", resp-port = 0, http-port = 0, replication-port = 0 }
        # Static roles: the nodes start on port 0, so automatic failover (every member's address known up front) is off.
        akkarepl.election.enabled = off
        akkarepl.cluster { initial-primary = web1, members = [
          { id = web1, replication-port = {{primaryReplicationPort ?? 1}} }, { id = web2, replication-port = 1 } ] }
        # Posts need not wait for the replica; the replica applies each record only once it is this old.
        akkarepl.replication { durability = local, apply-delay = {{(id == "web2" ? $"{delayMs} ms" : "off")}} }
        """);
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.Services.AddAkkaRepl(builder.Configuration);
    var host = builder.Build();
    await host.StartAsync();
    return host;
}

string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
