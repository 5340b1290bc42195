using System.Text.Json;
using System.Text.Json.Nodes;
using AkkaRepl.Server.Node;

namespace AkkaRepl.Server.Http.StatusPage;

/// <summary>
/// <c>GET /cluster</c>: this node's <c>/status</c> and every other member's, fetched by the node itself, so the status
/// page served by any node shows the whole cluster without the browser calling other origins (no CORS). Peers'
/// answers are passed through as they are, so fields this node does not know (a newer peer's) still reach the page.
/// </summary>
internal sealed class ClusterView(NodeHost node)
{
    private static readonly TimeSpan PeerTimeout = TimeSpan.FromSeconds(2);
    private readonly HttpClient _http = node.PeerHttp.CreateClient(PeerTimeout); // lives as long as the HTTP endpoint; https and token as the cluster needs

    public async Task<JsonObject> BuildAsync(CancellationToken ct)
    {
        var self = node.GetStatus();
        var members = self.Members.Count > 0 ? self.Members : [new MemberAddress(self.NodeId, "127.0.0.1", node.RespPort, node.HttpPort, node.ReplicationPort)];
        var entries = await Task.WhenAll(members.Select(async m =>
        {
            var entry = new JsonObject { ["id"] = m.Id, ["address"] = Cli.NodeHttp.HostPort(m.Host, m.HttpPort) };
            if (m.Id == self.NodeId)
            {
                entry["status"] = JsonSerializer.SerializeToNode(self, StatusJson.Options);
                return entry;
            }
            try
            {
                var text = await _http.GetStringAsync(node.PeerHttp.StatusUrl(m.Host, m.HttpPort), ct).ConfigureAwait(false);
                entry["status"] = JsonNode.Parse(text);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
            {
                entry["error"] = ex is TaskCanceledException && !ct.IsCancellationRequested
                    ? $"no answer within {PeerTimeout.TotalSeconds:F0} s" : ex.Message;
            }
            return entry;
        })).ConfigureAwait(false);
        var nodes = new JsonArray();
        foreach (var e in entries) nodes.Add(e);
        return new JsonObject
        {
            ["via"] = self.NodeId,
            ["clusterId"] = self.ClusterId,
            ["at"] = DateTimeOffset.UtcNow.ToString("O"),
            ["nodes"] = nodes,
        };
    }
}
