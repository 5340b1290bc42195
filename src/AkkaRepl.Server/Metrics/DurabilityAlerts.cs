using AkkaRepl.Replication.Primary;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Server.Metrics;

/// <summary>
/// The alert of the degrade policy (G5): one warning when writes start being answered below their durability level,
/// one line when a write meets its level again, with the time spent degraded. Told by the write path after each
/// receipt; only the transitions log, so a long degraded spell is two lines, not one per write.
/// </summary>
internal sealed partial class DurabilityAlerts(ILogger logger)
{
    private int _degraded; // 0 or 1, flipped with Interlocked by whichever write sees the transition first
    private long _sinceTicks;

    public void WriteAnswered(bool degraded, Durability requested, Durability reached)
    {
        if (degraded)
        {
            if (Interlocked.CompareExchange(ref _degraded, 1, 0) == 0)
            {
                Volatile.Write(ref _sinceTicks, DateTime.UtcNow.Ticks);
                LogDegraded(logger, requested.ToString(), reached.ToString());
            }
        }
        else if (Volatile.Read(ref _degraded) == 1 && Interlocked.CompareExchange(ref _degraded, 0, 1) == 1)
        {
            LogRestored(logger, requested.ToString(), TimeSpan.FromTicks(DateTime.UtcNow.Ticks - Volatile.Read(ref _sinceTicks)).TotalSeconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Durability degraded: a write asked for '{Requested}' and was answered at '{Reached}' after akkarepl.replication.durability-timeout (degrade policy); replicas are missing or slow")]
    private static partial void LogDegraded(ILogger logger, string requested, string reached);

    [LoggerMessage(Level = LogLevel.Information, Message = "Durability restored: a write reached '{Requested}' again after {Seconds:F1} s degraded")]
    private static partial void LogRestored(ILogger logger, string requested, double seconds);
}
