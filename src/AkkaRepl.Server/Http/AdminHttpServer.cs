using System.Net;
using AkkaRepl.Server.Node;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Server.Http;

/// <summary>The node's HTTP admin endpoint (Kestrel): <c>/status</c> as JSON and <c>/health</c>.</summary>
internal sealed class AdminHttpServer(NodeHost node, ILoggerFactory loggers)
{
    private WebApplication? _app;

    /// <summary>Starts listening; returns the bound port (port 0 picks a free one).</summary>
    public async Task<int> StartAsync(IPAddress address, int port, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, port));
        var app = builder.Build();
        app.MapGet("/status", () => Results.Json(node.GetStatus(), StatusJson.Options));
        app.MapGet("/health", () => Results.Text("ok\n"));
        await app.StartAsync(ct).ConfigureAwait(false);
        _app = app;
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(bound).Port;
    }

    public async Task StopAsync()
    {
        if (_app is null) return;
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
