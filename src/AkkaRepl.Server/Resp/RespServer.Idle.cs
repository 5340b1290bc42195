using Microsoft.Extensions.Logging;

namespace AkkaRepl.Server.Resp;

/// <summary>The idle sweep: closes clients that neither sent a request nor took reply bytes for
/// <c>akkarepl.resp.idle-timeout</c>, so forgotten connections do not hold slots (max-connections) for ever.</summary>
public sealed partial class RespServer
{
    private Task? _idleSweep;

    private void StartIdleSweep()
    {
        if (_options.IdleTimeout is not { } timeout) return;
        // Check a few times per timeout, at most once a second: a client is closed within about 1.25 timeouts.
        var period = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, timeout.Ticks / 4));
        _idleSweep = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(period);
            try
            {
                while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
                {
                    foreach (var (connection, _) in _connections.Values)
                        if (connection.IdleMilliseconds > timeout.TotalMilliseconds)
                            connection.CutOff($"idle for more than {timeout.TotalSeconds:0.###} s (akkarepl.resp.idle-timeout)");
                }
            }
            catch (OperationCanceledException) { /* stopping */ }
            catch (Exception e) { LogSweepFailed(_logger, e); }
        });
    }

    private Task IdleSweepStopped => _idleSweep ?? Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Error, Message = "RESP idle sweep failed; idle clients are no longer closed")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
