using System.Text.Json;
using System.Text.RegularExpressions;
using AkkaRepl.Server.Tests.Node;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Metrics;

public sealed class StatusPageEndpointTests(ITestOutputHelper output)
{
    [Fact(Timeout = 60_000)]
    public async Task The_page_is_self_contained_and_cluster_returns_every_members_status_from_a_replica()
    {
        await using var cluster = new InProcessCluster("p", "r1");
        await cluster.RunAsync(output, async () =>
        {
            var p = await cluster.StartAsync("p");
            var r1 = await cluster.StartAsync("r1");
            using var http = new HttpClient();

            using var page = await http.GetAsync($"http://127.0.0.1:{r1.HttpPort}/");
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            var html = await page.Content.ReadAsStringAsync();
            Assert.Contains("<svg id=\"lag-chart\"", html);
            // No CDN, no external file: nothing is loaded from another origin.
            Assert.DoesNotMatch(new Regex("(src|href)\\s*=\\s*\"(https?:)?//", RegexOptions.IgnoreCase), html);
            Assert.DoesNotMatch(new Regex("<(link|script)[^>]+(src|href)=", RegexOptions.IgnoreCase), html);

            await Wait.Until(() => p.GetStatus().Replicas.Any(r => r.State == "streaming"), "the replica to stream");
            var view = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{r1.HttpPort}/cluster")).RootElement;
            Assert.Equal("r1", view.GetProperty("via").GetString());
            var nodes = view.GetProperty("nodes").EnumerateArray().ToDictionary(n => n.GetProperty("id").GetString()!);
            Assert.Equal("primary", nodes["p"].GetProperty("status").GetProperty("role").GetString());
            Assert.Equal("replica", nodes["r1"].GetProperty("status").GetProperty("role").GetString());

            await cluster.StopAsync("p");
            view = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{r1.HttpPort}/cluster")).RootElement;
            var gone = view.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("id").GetString() == "p");
            Assert.False(gone.TryGetProperty("status", out _));
            Assert.False(string.IsNullOrEmpty(gone.GetProperty("error").GetString()));
        });
    }
}
