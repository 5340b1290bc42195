using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Hosting.Node;

/// <summary>
/// Ties the embedded node to the host's lifetime: started with the host (a bad configuration or a port in use
/// fails the host's start with the node's message), stopped with it (in-flight writes finish and the log is
/// flushed). When a part of the node fails later, the application is stopped: it never carries on silently
/// without its replicated state.
/// </summary>
internal sealed partial class EmbeddedNodeService(EmbeddedNode node, IHostApplicationLifetime lifetime, ILogger<EmbeddedNodeService> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await node.StartAsync(cancellationToken).ConfigureAwait(false);
        _ = node.Running.Failure.ContinueWith(failed =>
        {
            LogNodeFailed(logger, failed.Exception?.InnerException?.Message ?? "unknown error");
            lifetime.StopApplication();
        }, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    public Task StopAsync(CancellationToken cancellationToken) => node.StopAsync();

    [LoggerMessage(Level = LogLevel.Critical, Message = "The AkkaRepl node failed and stops the application: {Error}")]
    private static partial void LogNodeFailed(ILogger logger, string error);
}
