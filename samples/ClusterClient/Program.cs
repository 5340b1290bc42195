using AkkaRepl.Client.Resp;

// Talks to a running AkkaRepl cluster over the Redis protocol (start one with: akkarepl cluster --nodes 3 --dir DIR).
// Usage: ClusterClient [--host 127.0.0.1] [--port 7400]   (the primary's RESP port)
var host = Arg("--host") ?? "127.0.0.1";
if (!int.TryParse(Arg("--port") ?? "7400", out var port))
{
    Console.Error.WriteLine("ClusterClient: --port needs a number (the primary's RESP port)");
    return 2;
}
try
{

await using var primary = await RespConnection.ConnectAsync(host, port);
Check(await primary.ExecuteAsync(default, "DURABILITY", "quorum"), "OK");
for (var i = 0; i < 10; i++)
    Check(await primary.ExecuteAsync(default, "SET", $"sample:{i}", $"value {i}"), "OK");
var lsn = (await primary.ExecuteAsync(default, "LASTLSN")).Integer;
Console.WriteLine($"Wrote 10 keys with quorum durability; the last one ends at LSN {lsn}.");

// ROLE on the primary lists its replicas: [ "master", offset, [ [host, port, offset], ... ] ].
var role = await primary.ExecuteAsync(default, "ROLE");
var replicas = role.Items![2].Items!;
Console.WriteLine($"The primary has {replicas.Count} connected replica(s).");
if (replicas.Count == 0) return 0;


// WAIT until a replica flushed the last write, then read it there (replicas apply what they flushed).
var acked = (await primary.ExecuteAsync(default, "WAIT", "1", "5000")).Integer;
Console.WriteLine($"WAIT 1: {acked} replica(s) hold the last write.");
var replicaHost = replicas[0].Items![0].AsString()!;
var replicaPort = int.Parse(replicas[0].Items![1].AsString()!);
await using var replica = await RespConnection.ConnectAsync(replicaHost, replicaPort);
string? seen = null;
for (var attempt = 0; attempt < 50 && seen is null; attempt++)
{
    seen = (await replica.ExecuteAsync(default, "GET", "sample:9")).AsString();
    if (seen is null) await Task.Delay(20); // flushed there, applied a moment later
}
Console.WriteLine($"Replica {replicaHost}:{replicaPort} has sample:9 = {seen ?? "(not yet)"}");
var refused = await replica.ExecuteAsync(default, "SET", "sample:x", "y");
Console.WriteLine($"A write on the replica is refused: {refused.Text}");
return seen == "value 9" ? 0 : 1;
}
catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or InvalidOperationException)
{
    Console.Error.WriteLine($"ClusterClient: {ex.Message} (is a cluster running? start one with: akkarepl cluster --nodes 3 --dir DIR)");
    return 2;
}

string? Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static void Check(RespValue reply, string expected)
{
    if (reply.AsString() != expected) throw new InvalidOperationException($"expected {expected}, got {reply}");
}
