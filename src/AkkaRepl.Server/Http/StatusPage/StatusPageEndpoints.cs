using System.Reflection;
using AkkaRepl.Server.Node;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AkkaRepl.Server.Http.StatusPage;

/// <summary>The status page: <c>GET /</c> serves one self-contained HTML file (inline CSS, JS and SVG, nothing
/// from a CDN) that polls <c>GET /cluster</c> every second.</summary>
internal static class StatusPageEndpoints
{
    private static readonly Lazy<string> Page = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("status-page.html")
            ?? throw new InvalidOperationException("the status page resource is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static void Map(IEndpointRouteBuilder app, NodeHost node)
    {
        var view = new ClusterView(node);
        app.MapGet("/", () => Results.Content(Page.Value, "text/html; charset=utf-8"));
        app.MapGet("/cluster", async (CancellationToken ct) =>
            Results.Content((await view.BuildAsync(ct).ConfigureAwait(false)).ToJsonString(), "application/json; charset=utf-8"));
    }
}
