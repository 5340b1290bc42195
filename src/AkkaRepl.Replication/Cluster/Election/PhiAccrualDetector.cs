namespace AkkaRepl.Replication.Cluster.Election;

/// <summary>
/// The phi-accrual failure detector (Hayashibara et al.; as in Akka): from the intervals between a peer's
/// heartbeats it computes phi = -log10(P(a heartbeat comes this late or later)), assuming normally distributed
/// intervals. A peer is unreachable when phi exceeds a threshold. Pure: the caller passes the time.
/// <para><c>acceptablePause</c> is added to the mean, so a pause of that length is still normal;
/// <c>minStdDeviation</c> keeps a very regular link from being judged on a hair's breadth.</para>
/// </summary>
public sealed class PhiAccrualDetector
{
    private const int MaxSamples = 200;
    private readonly Queue<double> _intervals = new();
    private readonly double _minStdDevMs;
    private readonly double _pauseMs;
    private double _sum;
    private double _sumOfSquares;
    private TimeSpan? _last;

    /// <param name="firstInterval">The expected interval, used as the first sample so one heartbeat is enough to judge.</param>
    public PhiAccrualDetector(TimeSpan firstInterval, TimeSpan minStdDeviation, TimeSpan acceptablePause)
    {
        _minStdDevMs = minStdDeviation.TotalMilliseconds;
        _pauseMs = acceptablePause.TotalMilliseconds;
        // Two bootstrap samples around the expected interval (as Akka does), so the variance is defined.
        var first = firstInterval.TotalMilliseconds;
        Add(first - first / 4);
        Add(first + first / 4);
    }

    /// <summary>When the last heartbeat arrived; null before the first.</summary>
    public TimeSpan? LastHeartbeat => _last;

    /// <summary>A heartbeat arrived at <paramref name="now"/>.</summary>
    public void Heartbeat(TimeSpan now)
    {
        if (_last is { } last && now > last) Add((now - last).TotalMilliseconds);
        _last = now;
    }

    /// <summary>Phi at <paramref name="now"/>; 0 before the first heartbeat (nothing to judge yet).</summary>
    public double Phi(TimeSpan now)
    {
        if (_last is not { } last) return 0;
        var elapsed = (now - last).TotalMilliseconds;
        var mean = _sum / _intervals.Count + _pauseMs;
        var variance = _sumOfSquares / _intervals.Count - (_sum / _intervals.Count) * (_sum / _intervals.Count);
        var stdDev = Math.Max(Math.Sqrt(Math.Max(variance, 0)), _minStdDevMs);
        // Logistic approximation of the normal CDF's tail (Akka's), accurate to about 1e-4.
        var y = (elapsed - mean) / stdDev;
        var e = Math.Exp(-y * (1.5976 + 0.070566 * y * y));
        return elapsed > mean ? -Math.Log10(e / (1.0 + e)) : -Math.Log10(1.0 - 1.0 / (1.0 + e));
    }

    /// <summary>True when phi at <paramref name="now"/> is at most <paramref name="threshold"/> and a heartbeat was ever seen.</summary>
    public bool IsAvailable(TimeSpan now, double threshold) => _last is not null && Phi(now) <= threshold;

    private void Add(double intervalMs)
    {
        _intervals.Enqueue(intervalMs);
        _sum += intervalMs;
        _sumOfSquares += intervalMs * intervalMs;
        if (_intervals.Count <= MaxSamples) return;
        var dropped = _intervals.Dequeue();
        _sum -= dropped;
        _sumOfSquares -= dropped * dropped;
    }
}
