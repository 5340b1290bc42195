using System.Net.Http.Json;
using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Security;

namespace AkkaRepl.Replication.Cluster;

/// <summary>
/// Asks members for their status over HTTP. A node that believes it is primary asks before it accepts writes
/// (and then now and again), so a primary that was down while another was promoted learns of the higher
/// generation and steps down instead of accepting writes in a fenced-off generation. Over HTTPS, with the admin
/// token, when the cluster's HTTP ports need them (<see cref="PeerHttp"/>).
/// </summary>
public sealed class PeerProbe(IReadOnlyList<MemberOptions> peers, TimeSpan timeout, PeerHttp? peerHttp = null) : IDisposable
{
    private readonly PeerHttp _peerHttp = peerHttp ?? PeerHttp.Plain;
    private readonly HttpClient _http = (peerHttp ?? PeerHttp.Plain).CreateClient(timeout);

    /// <summary>The statuses of the peers that answered in time; unreachable peers are left out.</summary>
    public async Task<IReadOnlyList<PeerStatus>> AskAllAsync(CancellationToken ct)
    {
        var asks = peers.Select(async p =>
        {
            try { return await _http.GetFromJsonAsync<PeerStatus>(_peerHttp.StatusUrl(p.Host, p.HttpPort), ct).ConfigureAwait(false); }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException) { return null; }
        });
        return (await Task.WhenAll(asks).ConfigureAwait(false)).OfType<PeerStatus>().ToList();
    }

    public void Dispose() => _http.Dispose();
}
