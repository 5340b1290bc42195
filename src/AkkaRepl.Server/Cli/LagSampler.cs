using System.Diagnostics;
using System.Globalization;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// Polls a primary's <c>/status</c> at a fixed interval while a benchmark runs and keeps every replica's lag
/// (milliseconds: age of the oldest change not yet applied; bytes: written minus flushed). The issue-3 target
/// "replica apply lag p99 under 10 ms" is read from these samples, one per replica per poll.
/// A poll that fails is counted, not fatal: the run it watches goes on.
/// </summary>
internal sealed class LagSampler
{
    private readonly string _hostPort;
    private readonly TimeSpan _interval;
    private readonly List<double> _ms = [];     // written by the sampling loop only, read after it ended
    private readonly List<double> _bytes = [];  // same
    private int _failedPolls;                   // same
    private string? _firstFailure;              // same
    private int _polls;                         // written by the sampling loop only; read by anyone (Volatile)

    /// <summary>Polls started so far (for tests and progress).</summary>
    public int PollsSoFar => Volatile.Read(ref _polls);

    public LagSampler(string hostPort, TimeSpan interval)
    {
        // Accept "host:port" or "http://host:port[/status]".
        _hostPort = hostPort.Replace("http://", "", StringComparison.OrdinalIgnoreCase).TrimEnd('/');
        if (_hostPort.EndsWith("/status", StringComparison.OrdinalIgnoreCase)) _hostPort = _hostPort[..^"/status".Length];
        _interval = interval;
    }

    public sealed record Summary(int Polls, int Samples, int FailedPolls, string? FirstFailure,
        double P50Ms, double P99Ms, double MaxMs, double P50Bytes, double P99Bytes, double MaxBytes)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"replica lag from {Samples} /status samples ({Polls} polls, {FailedPolls} failed): p50 {P50Ms:F1} ms p99 {P99Ms:F1} ms max {MaxMs:F1} ms; bytes p50 {P50Bytes:F0} p99 {P99Bytes:F0} max {MaxBytes:F0}");
    }

    /// <summary>Samples until <paramref name="until"/> completes (or <paramref name="ct"/> is cancelled).</summary>
    public async Task<Summary> RunAsync(Task until, CancellationToken ct)
    {
        using var admin = new AdminClient();
        var clock = Stopwatch.StartNew();
        while (!until.IsCompleted && !ct.IsCancellationRequested)
        {
            var due = clock.Elapsed + _interval;
            Interlocked.Increment(ref _polls);
            try
            {
                var status = await admin.StatusAsync(_hostPort, ct).ConfigureAwait(false);
                foreach (var r in status.Replicas)
                {
                    _ms.Add(r.LagMs);
                    _bytes.Add(r.LagBytes);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _failedPolls++;
                _firstFailure ??= ex.Message;
            }
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.Zero) await Task.WhenAny(until, Task.Delay(wait, ct)).ConfigureAwait(false);
        }
        return new Summary(_polls, _ms.Count, _failedPolls, _firstFailure,
            Percentile(_ms, 50), Percentile(_ms, 99), _ms.Count > 0 ? _ms.Max() : 0,
            Percentile(_bytes, 50), Percentile(_bytes, 99), _bytes.Count > 0 ? _bytes.Max() : 0);
    }

    /// <summary>Nearest-rank percentile; 0 for no samples.</summary>
    internal static double Percentile(IReadOnlyList<double> values, double percent)
    {
        if (values.Count == 0) return 0;
        var sorted = values.OrderBy(v => v).ToArray();
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
