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
    /// <param name="WaitReplicas">Send <c>WAIT k</c> after every SET and count the pair as one request (Redis's way
    /// to wait for replicas; 0 = off).</param>
    /// <param name="Duration">Run for this long instead of a number of requests (throughput mode: until it passes;
    /// latency mode: rate x duration requests).</param>
    public sealed record Settings(string Host, int Port, int Clients, long Requests, int Pipeline, int ValueBytes,
        int SetPercent, double? Rate, string? Durability, int Keyspace, int WaitReplicas = 0, TimeSpan? Duration = null);

    public sealed record Result(Settings Settings, long Completed, long Sets, long Gets, long Errors, string? FirstError,
        TimeSpan Elapsed, BenchHistogram LatencyMicros)
    {
        public double RequestsPerSecond => Completed / Elapsed.TotalSeconds;
    }

    private static readonly ReadOnlyMemory<byte> SetName = "SET"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> GetName = "GET"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> WaitName = "WAIT"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> WaitTimeoutMillis = "10000"u8.ToArray();

    private readonly Settings _settings;
    private readonly byte[][] _keys;
    private readonly byte[] _value;
    private readonly ReadOnlyMemory<byte>[] _wait;
    private long _completed, _errors, _sets, _gets;
    private string? _firstError;

    public BenchResp(Settings settings)
    {
        if (settings.Clients < 1) throw new AkkaReplException("--clients must be at least 1");
        if (settings.Duration is null && settings.Requests < 1) throw new AkkaReplException("--requests must be at least 1");
        if (settings.Pipeline < 1) throw new AkkaReplException("--pipeline must be at least 1");
        if (settings.ValueBytes < 0) throw new AkkaReplException("--value-bytes must not be negative");
        if (settings.Keyspace < 1) throw new AkkaReplException("--keyspace must be at least 1");
        if (settings.Rate is <= 0) throw new AkkaReplException("--rate must be positive");
        if (settings.WaitReplicas < 0) throw new AkkaReplException("--wait-replicas must not be negative");
        if (settings.Duration is { } d && d <= TimeSpan.Zero) throw new AkkaReplException("--seconds must be positive");
        _settings = settings;
        _keys = new byte[settings.Keyspace][];
        for (int i = 0; i < _keys.Length; i++) _keys[i] = Encoding.ASCII.GetBytes("key:" + i.ToString("D12", System.Globalization.CultureInfo.InvariantCulture));
        _wait = [WaitName, System.Text.Encoding.ASCII.GetBytes(settings.WaitReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture)), WaitTimeoutMillis];
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
            long requests = _settings.Duration is { } duration
                ? _settings.Rate is { } r ? Math.Max(connections.Length, (long)(r * duration.TotalSeconds)) : long.MaxValue
                : _settings.Requests;
            long deadline = _settings.Duration is { } d ? clock.ElapsedTicks + (long)(d.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
            for (int c = 0; c < connections.Length; c++)
            {
                long quota = requests == long.MaxValue ? long.MaxValue
                    : requests / connections.Length + (c < requests % connections.Length ? 1 : 0);
                var histogram = histograms[c] = new BenchHistogram();
                var connection = connections[c];
                int seed = c;
                tasks[c] = _settings.Rate is { } rate
                    ? Task.Run(() => RunPacedAsync(connection, quota, rate / connections.Length, seed, histogram, ct), ct)
                    : Task.Run(() => RunFlatOutAsync(connection, quota, seed, histogram, clock, deadline, ct), ct);
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

    private async Task RunFlatOutAsync(RespConnection connection, long quota, int seed, BenchHistogram histogram,
        Stopwatch clock, long deadline, CancellationToken ct)
    {
        var rng = new Random(seed);
        var set = new[] { SetName, default, _value };
        var get = new[] { GetName, default };
        var waits = new bool[_settings.Pipeline];
        long left = quota;
        while (left > 0 && !ct.IsCancellationRequested && clock.ElapsedTicks < deadline)
        {
            int batch = (int)Math.Min(_settings.Pipeline, left);
            for (int i = 0; i < batch; i++) waits[i] = AppendOne(connection, rng, set, get);
            long sent = Stopwatch.GetTimestamp();
            await connection.FlushAsync(ct).ConfigureAwait(false);
            for (int i = 0; i < batch; i++)
            {
                var reply = await connection.ReadAsync(ct).ConfigureAwait(false);
                if (waits[i]) await ReadWaitAsync(connection, ct).ConfigureAwait(false);
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
        var waits = new bool[_settings.Pipeline];
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
                waits[batch] = AppendOne(connection, rng, set, get);
                batch++;
                next++;
            }
            long sent = Stopwatch.GetTimestamp();
            await connection.FlushAsync(ct).ConfigureAwait(false);
            for (int i = 0; i < batch; i++)
            {
                var reply = await connection.ReadAsync(ct).ConfigureAwait(false);
                if (waits[i]) await ReadWaitAsync(connection, ct).ConfigureAwait(false);
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

    /// <summary>Appends one request; true when a WAIT follows it (its reply must be read too).</summary>
    private bool AppendOne(RespConnection connection, Random rng, ReadOnlyMemory<byte>[] set, ReadOnlyMemory<byte>[] get)
    {
        var key = _keys[rng.Next(_keys.Length)];
        if (_settings.SetPercent >= 100 || (_settings.SetPercent > 0 && rng.Next(100) < _settings.SetPercent))
        {
            set[1] = key;
            connection.Append(set);
            Interlocked.Increment(ref _sets);
            if (_settings.WaitReplicas == 0) return false;
            connection.Append(_wait);
            return true;
        }
        get[1] = key;
        connection.Append(get);
        Interlocked.Increment(ref _gets);
        return false;
    }

    /// <summary>Reads a WAIT's reply: fewer replicas than asked for (it timed out) counts as an error.</summary>
    private async ValueTask ReadWaitAsync(RespConnection connection, CancellationToken ct)
    {
        var reply = await connection.ReadAsync(ct).ConfigureAwait(false);
        if (reply.IsError) Check(reply);
        else if (reply.Integer < _settings.WaitReplicas) Fail($"WAIT {_settings.WaitReplicas} reached only {reply.Integer} replica(s) in 10 s");
    }

    private void Check(RespValue reply)
    {
        if (reply.IsError) Fail(reply.Text ?? "(error)");
    }

    private void Fail(string error)
    {
        Interlocked.Increment(ref _errors);
        Interlocked.CompareExchange(ref _firstError, error, null);
    }

    private static long Micros(long ticks) => ticks * 1_000_000 / Stopwatch.Frequency;
}
