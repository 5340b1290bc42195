using System.Net.Http.Json;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Security;

namespace AkkaRepl.Replication.Cluster;

/// <summary>
/// Asks members for their status over HTTP. A node that believes it is primary asks before it accepts writes
/// (and then now and again), so a primary that was down while another was promoted learns of the higher
/// generation and steps down instead of accepting writes in a fenced-off generation. Over HTTPS, with the admin
/// token, when the cluster's HTTP ports need them (<see cref="PeerHttp"/>).
/// <para>An answer counts only when it comes from the member that was asked, of this cluster: whatever else listens
/// at a member's address (another cluster's node on a reused port, a node started by hand on the default ports) must
/// not make this node step down or follow a node that is not a member. Seen in a test run: two embedded nodes whose
/// members kept the default HTTP port found a stray `akkarepl node` there, and both followed it.</para>
/// </summary>
public sealed class PeerProbe(IReadOnlyList<MemberOptions> peers, TimeSpan timeout, PeerHttp? peerHttp = null, string? clusterId = null) : IDisposable
{
    private readonly PeerHttp _peerHttp = peerHttp ?? PeerHttp.Plain;
    private readonly HttpClient _http = (peerHttp ?? PeerHttp.Plain).CreateClient(timeout);

    /// <summary>The statuses of the peers that answered in time; unreachable peers are left out.</summary>
    public async Task<IReadOnlyList<PeerStatus>> AskAllAsync(CancellationToken ct)
    {
        var asks = peers.Select(async p =>
        {
            try
            {
                var status = await _http.GetFromJsonAsync<PeerStatus>(_peerHttp.StatusUrl(p.Host, p.HttpPort), ct).ConfigureAwait(false);
                return status is not null && status.NodeId == p.Id && (clusterId is null || status.ClusterId == clusterId) ? status : null;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException) { return null; }
        });
        return (await Task.WhenAll(asks).ConfigureAwait(false)).OfType<PeerStatus>().ToList();
    }

    public void Dispose() => _http.Dispose();
}
