using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace AkkaRepl.Server.Cli;

/// <summary>Logs go to stderr, one line each, so stdout carries only what scripts read (the READY line).</summary>
internal static class CliLogging
{
    public static ILoggerFactory Create(LogLevel level) => LoggerFactory.Create(b => b
        .SetMinimumLevel(level)
        .AddFilter("Microsoft", LogLevel.Warning)
        // The admin endpoint's host logs a start failure (a port in use) as an error with the whole exception on one
        // line; the node reports the same failure itself, in one line that names the setting (NodeHost.Listen).
        .AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
            o.UseUtcTimestamp = true;
        })
        .Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
}
