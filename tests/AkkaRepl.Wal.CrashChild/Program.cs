// The WAL crash-test child: appends deterministic records from several concurrent appenders until it is
// killed, printing "ACK <appender> <seq> <lsn>" (flushed) after each durable append.
// Usage: AkkaRepl.Wal.CrashChild --dir D --seed S [--run R] [--segment-bytes N]
using System.Globalization;
using AkkaRepl.Core.Ids;
using AkkaRepl.Core.Options;
using AkkaRepl.Wal;
using AkkaRepl.Wal.CrashChild;
using Microsoft.Extensions.Logging.Abstractions;

string? dir = null;
int seed = 0, run = 1;
long segmentBytes = 64 * 1024;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--dir": dir = args[i + 1]; break;
        case "--seed": seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--run": run = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--segment-bytes": segmentBytes = long.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown argument '{args[i]}'"); return 2;
    }
}
if (dir is null)
{
    Console.Error.WriteLine("usage: AkkaRepl.Wal.CrashChild --dir D --seed S [--run R] [--segment-bytes N]");
    return 2;
}

var random = new Random(seed);
int appenders = random.Next(2, 9);
var options = new WalOptions { SegmentSizeBytes = segmentBytes, TailCacheBytes = 1024 * 1024 };
await using var wal = await WalWriter.OpenAsync(dir, options, NullLogger.Instance);
var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
var gate = new object();
lock (gate) stdout.WriteLine($"READY {appenders}");

var tasks = Enumerable.Range(0, appenders).Select(appender => Task.Run(async () =>
{
    for (long seq = 0; ; seq++)
    {
        var payload = CrashPayload.Create(run, appender, seq);
        var result = await wal.AppendAsync(new Generation((ulong)run), WalRecordKind.Command, payload);
        lock (gate) stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ACK {appender} {seq} {result.Lsn}"));
    }
})).ToArray();
await Task.WhenAll(tasks);
return 0;
