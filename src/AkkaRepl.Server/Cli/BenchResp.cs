using System.Diagnostics;
using System.Text;
using AkkaRepl.Client.Resp;
using AkkaRepl.Core.Errors;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// The RESP load generator behind <c>akkarepl bench resp</c>: <c>Clients</c> connections, each sending its share
/// of <c>Requests</c> SET/GET commands in batches of up to <c>Pipeline</c>.
/// <list type="bullet">
/// <item>Throughput mode (no rate): each connection sends a batch, reads its replies, and sends the next at once.
/// A request's latency runs from its batch's send to its reply.</item>
/// <item>Latency mode (<c>Rate</c> requests/s in all, split evenly): request i of a connection is due at
/// start + i/rate. Whatever is due is sent (up to <c>Pipeline</c> at a time). Coordinated omission is corrected:
/// a request that became due while the connection still waited for earlier replies is timed from when it was
/// due, not from when it could be sent. A request the connection was idle for (sleeping until it was due) is timed
/// from its actual send, so the timer's own lateness is not charged to the server.</item>
/// </list>
/// Keys are <c>key:N</c> with N uniform in [0, Keyspace); values are random bytes of <c>ValueBytes</c>.
/// </summary>
internal sealed class BenchResp
{
    public sealed record Settings(string Host, int Port, int Clients, long Requests, int Pipeline, int ValueBytes,
        int SetPercent, double? Rate, string? Durability, int Keyspace);

    public sealed record Result(Settings Settings, long Completed, long Sets, long Gets, long Errors, string? FirstError,
        TimeSpan Elapsed, BenchHistogram LatencyMicros)
    {
        public double RequestsPerSecond => Completed / Elapsed.TotalSeconds;
    }

    private static readonly ReadOnlyMemory<byte> SetName = "SET"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> GetName = "GET"u8.ToArray();

    private readonly Settings _settings;
    private readonly byte[][] _keys;
    private readonly byte[] _value;
    private long _completed, _errors, _sets, _gets;
    private string? _firstError;

    public BenchResp(Settings settings)
    {
        if (settings.Clients < 1) throw new AkkaReplException("--clients must be at least 1");
        if (settings.Requests < 1) throw new AkkaReplException("--requests must be at least 1");
        if (settings.Pipeline < 1) throw new AkkaReplException("--pipeline must be at least 1");
        if (settings.ValueBytes < 0) throw new AkkaReplException("--value-bytes must not be negative");
        if (settings.Keyspace < 1) throw new AkkaReplException("--keyspace must be at least 1");
        if (settings.Rate is <= 0) throw new AkkaReplException("--rate must be positive");
        _settings = settings;
        _keys = new byte[settings.Keyspace][];
        for (int i = 0; i < _keys.Length; i++) _keys[i] = Encoding.ASCII.GetBytes("key:" + i.ToString("D12", System.Globalization.CultureInfo.InvariantCulture));
        _value = new byte[settings.ValueBytes];
        var rng = new Random(7);
        for (int i = 0; i < _value.Length; i++) _value[i] = (byte)('a' + rng.Next(26));
    }

    /// <summary>Requests answered so far (for progress display).</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Parses <c>set</c>, <c>get</c> or <c>S:G</c> (relative weights) into the percentage of SETs.</summary>
    public static int ParseMix(string mix)
    {
        switch (mix.Trim().ToLowerInvariant())
        {
            case "set": return 100;
            case "get": return 0;
        }
        var parts = mix.Split(':');
        if (parts.Length == 2 && int.TryParse(parts[0], out var s) && int.TryParse(parts[1], out var g) && s >= 0 && g >= 0 && s + g > 0)
            return (int)Math.Round(100.0 * s / (s + g));
        throw new AkkaReplException($"--mix must be set, get or SETS:GETS such as 50:50, not '{mix}'");
    }

    public async Task<Result> RunAsync(CancellationToken ct)
    {
        var connections = new RespConnection[_settings.Clients];
        try
        {
            for (int c = 0; c < connections.Length; c++)
            {
                try
                {
                    connections[c] = await RespConnection.ConnectAsync(_settings.Host, _settings.Port, ct).ConfigureAwait(false);
                }
                catch (System.Net.Sockets.SocketException ex)
                {
                    throw new AkkaReplException($"cannot connect to {_settings.Host}:{_settings.Port}: {ex.Message}");
                }
                if (_settings.Durability is { } level)
                {
                    var reply = await connections[c].ExecuteAsync(ct, "DURABILITY", level).ConfigureAwait(false);
                    if (reply.IsError) throw new AkkaReplException($"DURABILITY {level} was refused: {reply.Text}");
                }
            }
            var histograms = new BenchHistogram[connections.Length];
            var clock = Stopwatch.StartNew();
            var tasks = new Task[connections.Length];
            for (int c = 0; c < connections.Length; c++)
            {
                long quota = _settings.Requests / connections.Length + (c < _settings.Requests % connections.Length ? 1 : 0);
                var histogram = histograms[c] = new BenchHistogram();
                var connection = connections[c];
                int seed = c;
                tasks[c] = _settings.Rate is { } rate
                    ? Task.Run(() => RunPacedAsync(connection, quota, rate / connections.Length, seed, histogram, ct), ct)
                    : Task.Run(() => RunFlatOutAsync(connection, quota, seed, histogram, ct), ct);
            }
            await Task.WhenAll(tasks).ConfigureAwait(false);
            var elapsed = clock.Elapsed;
            var all = new BenchHistogram();
            foreach (var h in histograms) all.Add(h);
            return new Result(_settings, Completed, Interlocked.Read(ref _sets), Interlocked.Read(ref _gets),
                Interlocked.Read(ref _errors), _firstError, elapsed, all);
        }
        finally
        {
            foreach (var connection in connections)
                if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task RunFlatOutAsync(RespConnection connection, long quota, int seed, BenchHistogram histogram, CancellationToken ct)
    {
        var rng = new Random(seed);
        var set = new[] { SetName, default, _value };
        var get = new[] { GetName, default };
        long left = quota;
        while (left > 0 && !ct.IsCancellationRequested)
        {
            int batch = (int)Math.Min(_settings.Pipeline, left);
            for (int i = 0; i < batch; i++) AppendOne(connection, rng, set, get);
            long sent = Stopwatch.GetTimestamp();
            await connection.FlushAsync(ct).ConfigureAwait(false);
            for (int i = 0; i < batch; i++)
            {
                var reply = await connection.ReadAsync(ct).ConfigureAwait(false);
                histogram.Record(Micros(Stopwatch.GetTimestamp() - sent));
                Check(reply);
            }
            Interlocked.Add(ref _completed, batch);
            left -= batch;
        }
    }

    private async Task RunPacedAsync(RespConnection connection, long quota, double rate, int seed, BenchHistogram histogram, CancellationToken ct)
    {
        var rng = new Random(seed);
        var set = new[] { SetName, default, _value };
        var get = new[] { GetName, default };
        double interval = Stopwatch.Frequency / rate;
        // Stagger the connections across one interval so they do not all fire at once.
        long start = Stopwatch.GetTimestamp() + (long)(interval * seed / _settings.Clients);
        var dueTimes = new long[_settings.Pipeline];
        long next = 0, freeSince = start;
        while (next < quota && !ct.IsCancellationRequested)
        {
            // Requests due within the next millisecond go now: the timer cannot wait less, and spinning would
            // starve the other connections' loops of thread-pool threads. An early send is timed from the send.
            long horizon = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 1000;
            long due = start + (long)(next * interval);
            if (due > horizon)
            {
                // Idle: sleep until the next request is due, then time it from its actual send.
                await Task.Delay(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due), ct).ConfigureAwait(false);
                continue;
            }
            int batch = 0;
            while (batch < _settings.Pipeline && next < quota)
            {
                long dueAt = start + (long)(next * interval);
                if (dueAt > horizon) break;
                dueTimes[batch] = dueAt;
                AppendOne(connection, rng, set, get);
                batch++;
                next++;
            }
            long sent = Stopwatch.GetTimestamp();
            await connection.FlushAsync(ct).ConfigureAwait(false);
            for (int i = 0; i < batch; i++)
            {
                var reply = await connection.ReadAsync(ct).ConfigureAwait(false);
                long done = Stopwatch.GetTimestamp();
                // Due while this connection was busy with earlier replies: timed from when it was due (coordinated
                // omission corrected). Due while it was idle: timed from the send (a late timer is the tool's fault).
                histogram.Record(Micros(done - (dueTimes[i] < freeSince ? dueTimes[i] : sent)));
                Check(reply);
            }
            freeSince = Stopwatch.GetTimestamp();
            Interlocked.Add(ref _completed, batch);
        }
    }

    private void AppendOne(RespConnection connection, Random rng, ReadOnlyMemory<byte>[] set, ReadOnlyMemory<byte>[] get)
    {
        var key = _keys[rng.Next(_keys.Length)];
        if (_settings.SetPercent >= 100 || (_settings.SetPercent > 0 && rng.Next(100) < _settings.SetPercent))
        {
            set[1] = key;
            connection.Append(set);
            Interlocked.Increment(ref _sets);
        }
        else
        {
            get[1] = key;
            connection.Append(get);
            Interlocked.Increment(ref _gets);
        }
    }

    private void Check(RespValue reply)
    {
        if (!reply.IsError) return;
        Interlocked.Increment(ref _errors);
        Interlocked.CompareExchange(ref _firstError, reply.Text ?? "(error)", null);
    }

    private static long Micros(long ticks) => ticks * 1_000_000 / Stopwatch.Frequency;
}
