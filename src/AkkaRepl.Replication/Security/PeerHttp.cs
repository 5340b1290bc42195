using System.Net.Http.Headers;
using System.Net.Security;

namespace AkkaRepl.Replication.Security;

/// <summary>
/// How a node calls its peers' HTTP ports (the returning primary's status probe, the status page's cluster view).
/// With <c>akkarepl.tls.http</c> on, every member serves HTTPS only, so peers are called over https and their
/// certificate gets the same check as a node link's (<see cref="LinkTls"/>: pinned fingerprints, the CA bundle of
/// <c>akkarepl.tls.peer-ca-file</c> or the system's trust store, the member's host name); with
/// <c>akkarepl.security.protect-status</c> on, the admin token goes along, as the status endpoints then require it.
/// </summary>
/// <param name="https">Members serve HTTPS (the cluster shares its TLS settings).</param>
/// <param name="tls">Checks the peers' certificates; null: the system's default check.</param>
/// <param name="bearerToken">Sent as <c>Authorization: Bearer</c>; null: none.</param>
public sealed class PeerHttp(bool https, LinkTls? tls, string? bearerToken)
{
    /// <summary>Plain HTTP, no token: a cluster without TLS on its HTTP ports or protected status.</summary>
    public static readonly PeerHttp Plain = new(false, null, null);

    /// <summary>Whether peers are called over HTTPS.</summary>
    public bool Https => https;

    /// <summary>The URL of a peer's <c>/status</c>.</summary>
    public string StatusUrl(string host, int port) => $"{(https ? "https" : "http")}://{HostPort(host, port)}/status";

    /// <summary>HOST:PORT for a URL: an IPv6 literal goes in brackets (<c>[::1]:7380</c>).</summary>
    public static string HostPort(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]:{port}" : $"{host}:{port}";

    /// <summary>A client for peer calls; the caller owns it (one per component, kept for its life).</summary>
    public HttpClient CreateClient(TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler();
        if (https && tls is not null)
            handler.SslOptions.RemoteCertificateValidationCallback = (sender, certificate, _, errors) =>
                tls.CheckServerCertificate(certificate, errors, (sender as SslStream)?.TargetHostName ?? "the member") is null;
        var client = new HttpClient(handler) { Timeout = timeout };
        if (bearerToken is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        return client;
    }
}
