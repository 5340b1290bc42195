using System.CommandLine;
using System.Diagnostics;
using AkkaRepl.Client.Resp;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Node;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// <c>akkarepl demo</c>: starts a node on free ports in a scratch directory, writes through the Redis protocol
/// (every write durable before it is answered), restarts the node, and shows that the state came back from
/// the WAL and snapshots.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var dir = new Option<DirectoryInfo?>("--dir") { Description = "Data directory to use (default: a new temporary one, deleted afterwards)." };
        var keys = new Option<int>("--keys") { Description = "How many keys the demo writes.", DefaultValueFactory = _ => 10_000 };
        var command = new Command("demo", "Start a node, write to it over the Redis protocol, restart it, and show everything came back.");
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
        if (keyCount < 1) throw new Core.Errors.AkkaReplException("--keys must be at least 1");
        var scratch = dir is null;
        var dataDir = dir ?? Path.Combine(Path.GetTempPath(), "akkarepl-demo-" + Environment.ProcessId);
        var options = new AkkaReplOptions
        {
            Node = new NodeOptions { NodeId = "demo", DataDir = dataDir, RespPort = 0, HttpPort = 0, ReplicationPort = 0 },
        };
        using var loggers = CliLogging.Create(LogLevel.Warning);
        try
        {
            Say($"Starting node 'demo' with its data in {dataDir}");
            long counter;
            await using (var node = await NodeHost.StartAsync(options, loggers, ct).ConfigureAwait(false))
            {
                Say($"  Redis protocol on 127.0.0.1:{node.RespPort}   (try: redis-cli -p {node.RespPort})");
                Say($"  HTTP status on    http://127.0.0.1:{node.HttpPort}/status");
                await using var redis = await RespConnection.ConnectAsync("127.0.0.1", node.RespPort, ct).ConfigureAwait(false);

                var watch = Stopwatch.StartNew();
                const int window = 64; // pipelined: 64 writes in flight share fdatasyncs through group commit
                for (var sent = 0; sent < keyCount; sent += window)
                {
                    var n = Math.Min(window, keyCount - sent);
                    for (var i = 0; i < n; i++) redis.Append(["SET", $"user:{sent + i}", $"value-{sent + i}"]);
                    await redis.FlushAsync(ct).ConfigureAwait(false);
                    for (var i = 0; i < n; i++) Expect("OK", await redis.ReadAsync(ct).ConfigureAwait(false));
                }
                Say($"Wrote {keyCount:N0} keys with SET in {watch.Elapsed.TotalMilliseconds:F0} ms; each was durable (fdatasync) before its +OK");

                for (var i = 0; i < 10; i++) await redis.ExecuteAsync(ct, "INCR", "visits").ConfigureAwait(false);
                counter = (await redis.ExecuteAsync(ct, "GET", "visits").ConfigureAwait(false)).AsString() is { } v ? long.Parse(v) : 0;
                Say($"INCR visits x10 -> {counter}");

                await redis.ExecuteAsync(ct, "MSET", "account:a", "100", "account:b", "0").ConfigureAwait(false);
                await redis.ExecuteAsync(ct, "MULTI").ConfigureAwait(false);
                await redis.ExecuteAsync(ct, "DECRBY", "account:a", "30").ConfigureAwait(false);
                await redis.ExecuteAsync(ct, "INCRBY", "account:b", "30").ConfigureAwait(false);
                var exec = await redis.ExecuteAsync(ct, "EXEC").ConfigureAwait(false);
                Say($"MULTI/EXEC transfer of 30 from account:a to account:b -> {exec} (one atomic WAL record)");

                var status = node.GetStatus();
                Say($"Status: generation {status.Generation}, flushed LSN {status.FlushedLsn}, applied LSN {status.AppliedLsn}");
                Say("Stopping the node...");
            }

            Say("Restarting it on the same data directory...");
            await using (var node = await NodeHost.StartAsync(options, loggers, ct).ConfigureAwait(false))
            {
                await using var redis = await RespConnection.ConnectAsync("127.0.0.1", node.RespPort, ct).ConfigureAwait(false);
                var size = (await redis.ExecuteAsync(ct, "DBSIZE").ConfigureAwait(false)).Integer;
                var visits = (await redis.ExecuteAsync(ct, "GET", "visits").ConfigureAwait(false)).AsString();
                var last = (await redis.ExecuteAsync(ct, "GET", $"user:{keyCount - 1}").ConfigureAwait(false)).AsString();
                var a = (await redis.ExecuteAsync(ct, "GET", "account:a").ConfigureAwait(false)).AsString();
                var b = (await redis.ExecuteAsync(ct, "GET", "account:b").ConfigureAwait(false)).AsString();
                Say($"After restart: DBSIZE {size}, visits {visits}, user:{keyCount - 1} = {last}, account:a = {a}, account:b = {b}");
                var expectedSize = keyCount + 3;
                if (size != expectedSize || visits != counter.ToString() || a != "70" || b != "30")
                {
                    Console.Error.WriteLine($"akkarepl: demo check failed: expected DBSIZE {expectedSize}, visits {counter}, accounts 70/30");
                    return CliErrors.Failed;
                }
                Say("Everything acknowledged before the stop came back. Done.");
            }
            return CliErrors.Ok;
        }
        finally
        {
            if (scratch && Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }

    private static void Expect(string expected, RespValue reply)
    {
        if (reply.AsString() != expected)
            throw new Core.Errors.AkkaReplException($"the node answered '{reply}' where '{expected}' was expected");
    }

    private static void Say(string line) => Console.Out.WriteLine(line);
}
