using AkkaRepl.Core.Diagnostics;
using AkkaRepl.Wal.Diagnostics;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Server.Node;

/// <summary>
/// Start-up progress: WAL scan, snapshot load and replay count their bytes into one <see cref="RecoveryProgress"/>,
/// which <c>/status</c> (role <c>recovering</c> and a <c>recovery</c> object), <c>/health</c>, <c>/metrics</c> and a log
/// line every <see cref="ProgressLogEvery"/> read. The HTTP endpoint starts before recovery so it can be watched;
/// RESP starts only once the node is recovered.
/// </summary>
public sealed partial class NodeHost
{
    /// <summary>How often a recovering node logs its progress.</summary>
    internal static readonly TimeSpan ProgressLogEvery = TimeSpan.FromSeconds(2);

    private RecoveryProgress? _recovery;     // created at the start of OpenAsync; advanced by the start-up sequence and WAL scan workers
    private volatile bool _recovered;        // set once, by OpenAsync, when the log is replayed and the role chosen
    private CancellationTokenSource? _progressLog;

    /// <summary>While the node starts: how far it has come (phase, bytes, rate, estimate). Null once it is recovered
    /// (its role chosen), from then on for good.</summary>
    public RecoveryReading? Recovery => _recovered ? null : _recovery?.Read();

    /// <summary>True once the log is replayed and the role chosen; RESP serves only from then on.</summary>
    public bool Recovered => _recovered;

    /// <summary>Logs the start-up's progress every few seconds until the node is recovered (or start-up fails).</summary>
    private void StartProgressLog()
    {
        _progressLog = new CancellationTokenSource();
        var ct = _progressLog.Token;
        _ = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(ProgressLogEvery, _time);
            try
            {
                while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
                    if (Recovery is { } reading) LogRecoveryProgress(_logger, reading.Describe());
            }
            catch (OperationCanceledException) { }
        }, CancellationToken.None);
    }

    private void StopProgressLog()
    {
        _progressLog?.Cancel();
        _progressLog?.Dispose();
        _progressLog = null;
    }

    /// <summary>Counts WAL recovery's scanned bytes into the start-up progress. The test-only pause (see
    /// <see cref="NodeStartOptions.TestOnlyRecoveryPausePerSegment"/>) is taken one worker at a time, so recovery
    /// lasts at least segments x pause however many workers scan.</summary>
    private sealed class WalScanProgress(RecoveryProgress progress, TimeSpan? pausePerSegment, Action? afterSegment) : IWalRecoveryObserver
    {
        private readonly object _pauseGate = new();

        public void ScanStarting(long totalBytes, int segments) => progress.SetTotal(totalBytes);

        public void Scanned(long bytes) => progress.Advance(bytes);

        public void SegmentScanned(string path)
        {
            if (pausePerSegment is { } pause)
                lock (_pauseGate) Thread.Sleep(pause);
            afterSegment?.Invoke();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Recovering: {Progress}")]
    private static partial void LogRecoveryProgress(ILogger logger, string progress);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Test-only setting: WAL recovery pauses {PauseMs} ms after each segment (AKKAREPL_TEST_ONLY_RECOVERY_PAUSE_PER_SEGMENT_MS); never set it in production")]
    private static partial void LogTestOnlyRecoveryPause(ILogger logger, double pauseMs);
}
