using AkkaRepl.Client.Resp;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Node;
using AkkaRepl.Server.Tests.Node;
using AkkaRepl.Testing.Specs;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Resp;

/// <summary>
/// Random commands with random arguments against a real node (WAL, store, RESP): every command gets a reply, the
/// connection stays open, no reply is anything but a value or an error a client can read, and nothing is logged at
/// Error or above. A failure prints the seed and the last commands sent.
/// </summary>
public sealed class CommandFuzzTests(ITestOutputHelper output)
{
    private static readonly string[] Commands =
    [
        "get", "set", "del", "exists", "incr", "incrby", "decr", "decrby", "append", "strlen", "mget", "mset", "setnx",
        "getset", "getdel", "type", "ttl", "pttl", "dbsize", "flushall", "multi", "exec", "discard", "watch", "unwatch",
        "ping", "echo", "select", "hello", "command", "info", "client", "config", "role", "wait", "durability",
        "lastlsn", "consistency", "appliedlsn", "auth", "nosuchcommand",
    ];

    private static readonly string[] Words =
    [
        "k1", "k2", "k3", "", "0", "1", "-1", "2", "3", "10", "-5", "9223372036854775807", "-9223372036854775808",
        "99999999999999999999", "1.5", "abc", "a b", "EX", "PX", "EXAT", "PXAT", "NX", "XX", "GET", "KEEPTTL",
        "local", "quorum", "all", "replicas", "applied", "block", "degrade", "fail", "linearizable", "eventual",
        "read-your-writes", "bounded-staleness", "500ms", "2s", "0ms", "-1s", "1 d", "*", "SETNAME", "GETNAME", "ID",
        "LIST", "INFO", "SET", "RESETSTAT", "COUNT", "DOCS", "HELP", "replication", "server", "default", "\u00e9\u00e8",
        new string('x', 3000),
    ];

    [Fact(Timeout = 120_000)]
    public async Task Random_commands_always_get_a_reply_and_never_an_internal_failure()
    {
        var seed = TestSeed.Pick(output, pinned: 20261124);
        Soak.Describe(output);
        var random = new Random(seed);
        using var dir = new TempDataDir();
        var logs = new CapturingLoggerFactory();
        await using var node = await NodeHost.StartAsync(new AkkaReplOptions
        {
            Node = new NodeOptions { NodeId = "fuzz", ClusterId = "fuzz", DataDir = dir.Path, RespPort = 0, HttpPort = 0, ReplicationPort = 0 },
        }, logs, default);
        await using var redis = await RespConnection.ConnectAsync("127.0.0.1", node.RespPort);
        var recent = new Queue<string>();
        var count = Soak.Choose(3_000, 100_000);
        for (var i = 0; i < count; i++)
        {
            var args = RandomCommand(random);
            var text = string.Join(" ", args.Select(a => a.Length > 20 ? a[..20] + "..." : a));
            recent.Enqueue(text);
            if (recent.Count > 20) recent.Dequeue();
            string Context() => $"seed {seed} (rerun with {TestSeed.Variable}={seed}), command #{i}; the last commands:\n  {string.Join("\n  ", recent)}\nlog:\n{logs.Dump()}";
            RespValue reply;
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                reply = await redis.ExecuteAsync(timeout.Token, args);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"no reply ({e.GetType().Name}: {e.Message}); {Context()}");
            }
            if (reply.IsError && (reply.Text!.Contains("Exception", StringComparison.Ordinal) || reply.Text.Contains("internal", StringComparison.OrdinalIgnoreCase)))
                Assert.Fail($"internal failure '{reply.Text}'; {Context()}");
            var bad = logs.Lines.FirstOrDefault(l => l.Level >= LogLevel.Error);
            if (bad != default) Assert.Fail($"logged at {bad.Level}: {bad.Message}; {Context()}");
        }
        // Still serving reads and writes on the same connection (left maybe inside a MULTI, or with a level of its own).
        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await redis.ExecuteAsync(last.Token, "DISCARD");
        Assert.Equal("OK", (await redis.ExecuteAsync(last.Token, "DURABILITY", "local")).AsString());
        Assert.Equal("OK", (await redis.ExecuteAsync(last.Token, "CONSISTENCY", "eventual")).AsString());
        Assert.Equal("OK", (await redis.ExecuteAsync(last.Token, "SET", "fuzz-final", "v")).AsString());
        Assert.Equal("v", (await redis.ExecuteAsync(last.Token, "GET", "fuzz-final")).AsString());
        output.WriteLine($"{count} random commands, seed {seed}");
    }

    private static string[] RandomCommand(Random random)
    {
        var name = Commands[random.Next(Commands.Length)];
        if (name == "wait")
        {
            // WAIT n 0 blocks until n replicas answer, as in Redis: keep the timeout short.
            string[] timeouts = ["1", "5", "-1", "abc", "1.5"];
            return [name, Words[random.Next(Words.Length)], timeouts[random.Next(timeouts.Length)]];
        }
        if (name == "hello")
        {
            // HELLO 3 switches the connection to RESP3, which this test's client does not read.
            string[] versions = ["2", "4", "0", "-1", "abc", "AUTH"];
            return random.Next(3) == 0 ? [name] : [name, versions[random.Next(versions.Length)]];
        }
        var args = new string[1 + random.Next(0, 6)];
        args[0] = random.Next(4) == 0 ? name.ToUpperInvariant() : name;
        for (var i = 1; i < args.Length; i++) args[i] = Words[random.Next(Words.Length)];
        return args;
    }
}
