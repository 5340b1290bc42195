using System.Net;
using System.Net.Sockets;
using AkkaRepl.Replication.Protocol;

namespace AkkaRepl.Replication.Security;

/// <summary>
/// Opens both ends of a node link (the log stream and the control lane) before the first frame: TLS first when
/// <paramref name="tls"/> is set, then the cluster-secret challenge-response inside it (so a passive listener cannot
/// even see the proofs). Every connect and accept site on the replication port goes through here.
/// </summary>
/// <param name="clusterSecret">akkarepl.replication.cluster-secret; null: links are not authenticated by a secret.</param>
/// <param name="tls">TLS on links; null: plain TCP.</param>
public sealed class LinkSecurity(string? clusterSecret, LinkTls? tls)
{
    /// <summary>TLS on links is on.</summary>
    public bool Tls => tls is not null;

    /// <summary>The dialling side: the stream to send frames on, after TLS and the secret exchange succeeded.</summary>
    /// <exception cref="IOException">TLS failed (the message says why).</exception>
    /// <exception cref="ProtocolException">The cluster-secret exchange failed (the message says why).</exception>
    public async Task<Stream> ConnectAsync(Socket socket, EndPoint endpoint, string peer, CancellationToken ct)
    {
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            if (tls is not null) stream = await tls.ConnectAsync(stream, HostOf(endpoint), peer, ct).ConfigureAwait(false);
            await LinkAuthentication.ConnectAsync(stream, clusterSecret, peer, ct).ConfigureAwait(false);
            return stream;
        }
        catch (Exception e) when (tls is not null && e is ProtocolException or IOException && e.Message.Contains("closed the link", StringComparison.Ordinal))
        {
            // With TLS 1.3 the client's handshake ends before the server has judged the client certificate, so a
            // refused certificate shows up here, as the link closing during the secret exchange.
            await stream.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"{peer} closed the link right after the TLS handshake: it refused this node's TLS client certificate " +
                                  "(akkarepl.tls.mutual is on there; its log says why), or its akkarepl.replication.cluster-secret differs", e);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The accepting side: the stream to read frames from, or null and why the link was refused (the socket
    /// is then closed, and nothing but TLS handshake bytes and the secret exchange was sent).</summary>
    public async Task<(Stream? Stream, string? Refused)> AcceptAsync(Socket socket, CancellationToken ct)
    {
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            if (tls is not null) stream = await tls.AcceptAsync(stream, ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            return (null, e.Message);
        }
        if (await LinkAuthentication.AcceptAsync(stream, clusterSecret, ct).ConfigureAwait(false) is { } refused)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            return (null, refused);
        }
        return (stream, null);
    }

    private static string HostOf(EndPoint endpoint) => endpoint switch
    {
        IPEndPoint ip => ip.Address.ToString(),
        DnsEndPoint dns => dns.Host,
        _ => endpoint.ToString() ?? "",
    };
}
