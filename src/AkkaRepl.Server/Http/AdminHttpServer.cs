using System.Net;
using AkkaRepl.Server.Node;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Server.Http;

/// <summary>
/// The node's HTTP admin endpoint (Kestrel): <c>/status</c> as JSON, <c>/health</c>, <c>/primary</c> and
/// <c>/replica</c> (200 or 503, for load balancers), and the operator verbs under <c>/admin/</c>. It starts before the
/// node recovers its log: until then <see cref="RecoveryGate"/> lets only the read-only views through, and
/// <c>/health</c>, <c>/primary</c> and <c>/replica</c> answer 503 saying the node is recovering.
/// </summary>
internal sealed class AdminHttpServer(NodeHost node, ILoggerFactory loggers)
{
    private WebApplication? _app;

    /// <summary>The endpoint's own configuration (tests: that nothing in it watches files).</summary>
    internal IConfiguration? Configuration { get; private set; }

    /// <summary>Starts listening; returns the bound port (port 0 picks a free one).</summary>
    public async Task<int> StartAsync(IPAddress address, int port, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // Not the working directory: no appsettings.json found there changes the endpoint, and no file watcher
            // on it wakes on every write below it (a data directory under the working directory costs ~2.5 % CPU
            // under a write load).
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, port, listen =>
        {
            // The certificate is asked for per handshake, so a renewed one is served without a restart.
            if (node.HttpsEnabled && node.Certificates is { } certificates)
                listen.UseHttps(https => https.ServerCertificateSelector = (_, _) => certificates.Current);
        }));
        // A missing or malformed parameter (POST /admin/switchover without ?to=, a generation that is not a number)
        // throws instead of answering a bare 400, so the handler below can say which one.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        var app = builder.Build();
        Configuration = app.Configuration;
        app.Use(BadRequestAsJson);
        app.Use(new Security.AdminTokenGate(node.Security, loggers.CreateLogger("AkkaRepl.Http")).InvokeAsync);
        app.Use(new RecoveryGate(node).InvokeAsync);
        app.MapGet("/status", () => Results.Json(node.GetStatus(), StatusJson.Options));
        StatusPage.StatusPageEndpoints.Map(app, node);
        app.MapGet("/metrics", () => Results.Text(node.ScrapeMetrics(), Metrics.PrometheusExporter.ContentType));
        app.MapGet("/health", () => node.Failure.IsFaulted
            ? Results.Text("failed: " + node.Failure.Exception?.InnerException?.Message + "\n", statusCode: 503)
            : node.Recovery is { } recovering
                ? Results.Text($"recovering: {recovering.Describe()}\n", statusCode: 503)
                : Results.Text("ok\n"));
        app.MapGet("/primary", () => node.AcceptsWrites
            ? Results.Text("primary\n")
            : Results.Text(node.Recovery is { } recovering ? $"not primary (recovering: {recovering.Describe()})\n" : "not primary\n", statusCode: 503));
        app.MapGet("/replica", () =>
        {
            var s = node.GetStatus();
            return s.Role == "replica" && s.Upstream?.State == "streaming"
                ? Results.Text("replica\n")
                : Results.Text($"not a streaming replica ({s.Role}{(s.Recovery is { } r ? ": " + r.Text : "")})\n", statusCode: 503);
        });
        app.MapPost("/admin/promote", async (CancellationToken ct) =>
        {
            try
            {
                await node.Coordinator.PromoteAsync("promoted by an operator (akkarepl promote)", ct).ConfigureAwait(false);
                return Results.Json(node.GetStatus(), StatusJson.Options);
            }
            catch (Core.Errors.AkkaReplException ex)
            {
                return Results.Json(new { error = ex.Message }, StatusJson.Options, statusCode: 409);
            }
        });
        app.MapPost("/admin/switchover", async (string to, CancellationToken ct) =>
        {
            try
            {
                var generation = await node.Coordinator.SwitchoverAsync(to, ct).ConfigureAwait(false);
                return Results.Json(new { primary = to, generation = generation.Value }, StatusJson.Options);
            }
            catch (Core.Errors.AkkaReplException ex)
            {
                return Results.Json(new { error = ex.Message }, StatusJson.Options, statusCode: 409);
            }
        });
        app.MapPost("/admin/rebuild", () =>
        {
            try
            {
                node.Coordinator.RequestRebuild();
                return Results.Json(new { rebuilding = node.NodeId.Value }, StatusJson.Options, statusCode: 202);
            }
            catch (Core.Errors.AkkaReplException ex)
            {
                return Results.Json(new { error = ex.Message }, StatusJson.Options, statusCode: 409);
            }
        });
        app.MapPost("/admin/follow", async (string primary, ulong generation, CancellationToken ct) =>
        {
            if (node.Members.All(m => m.Id != primary))
                return Results.Json(new { error = $"'{primary}' is not a member" }, StatusJson.Options, statusCode: 400);
            if (primary == node.NodeId.Value)
                return Results.Json(new { error = $"'{primary}' is this node: a node follows another member (to make it the primary, use promote)" }, StatusJson.Options, statusCode: 400);
            await node.Coordinator.FollowAsync(primary, new Core.Ids.Generation(generation), $"told by an operator to follow {primary}", ct).ConfigureAwait(false);
            return Results.Json(node.GetStatus(), StatusJson.Options);
        });
        Verify.VerifyEndpoints.Map(app, node);
        Backup.BackupEndpoints.Map(app, node);
        await app.StartAsync(ct).ConfigureAwait(false);
        _app = app;
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(bound).Port;
    }

    /// <summary>Answers a request the endpoint could not bind with 400 and a JSON error naming the parameter, e.g.
    /// <c>{"error": "Required parameter \"string to\" was not provided from query string."}</c>.</summary>
    private static async Task BadRequestAsJson(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            context.Response.StatusCode = e.StatusCode;
            await context.Response.WriteAsJsonAsync(new BadRequestAnswer(e.Message), StatusJson.Options).ConfigureAwait(false);
        }
    }

    private sealed record BadRequestAnswer(string Error);

    public async Task StopAsync()
    {
        if (_app is null) return;
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
