using AkkaRepl.Server.Node;
using Microsoft.AspNetCore.Http;

namespace AkkaRepl.Server.Http;

/// <summary>
/// While the node recovers its log, only the read-only views answer: <c>/status</c>, <c>/health</c>, <c>/primary</c>,
/// <c>/replica</c>, <c>/metrics</c>, the status page and <c>/cluster</c>. Every other path (the operator verbs) gets
/// 503 with a JSON error saying the node is recovering and how far it is, rather than reaching parts not built yet.
/// </summary>
internal sealed class RecoveryGate(NodeHost node)
{
    private static readonly HashSet<string> ServedWhileRecovering =
        new(["/", "/status", "/health", "/primary", "/replica", "/metrics", "/cluster"], StringComparer.Ordinal);

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (node.Recovery is { } recovering && !ServedWhileRecovering.Contains(context.Request.Path.Value ?? "/"))
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsJsonAsync(new
            {
                error = $"node {node.NodeId} is recovering ({recovering.Describe()}); try again once GET /health answers 200",
            }, StatusJson.Options, context.RequestAborted).ConfigureAwait(false);
            return;
        }
        await next(context).ConfigureAwait(false);
    }
}
