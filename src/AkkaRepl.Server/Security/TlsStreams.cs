using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using AkkaRepl.Core.Security;

namespace AkkaRepl.Server.Security;

/// <summary>Opens the stream of an accepted connection: plain, or TLS with the reloader's current certificate.</summary>
public sealed class TlsStreams(CertificateReloader? certificates)
{
    /// <summary>How long a client has to finish the TLS handshake.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>No TLS: every stream is the plain socket stream.</summary>
    public static TlsStreams Plain { get; } = new(null);

    public bool Enabled => certificates is not null;

    /// <summary>The connection's stream; owns the socket.</summary>
    /// <exception cref="IOException">The TLS handshake failed or timed out (the message says which).</exception>
    public async Task<Stream> OpenAsync(Socket socket, CancellationToken ct)
    {
        var network = new NetworkStream(socket, ownsSocket: true);
        if (certificates is null) return network;
        var tls = new SslStream(network, leaveInnerStreamOpen: false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(HandshakeTimeout);
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = certificates.Current,
                ClientCertificateRequired = false,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            }, timeout.Token).ConfigureAwait(false);
            return tls;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new IOException(e is OperationCanceledException && !ct.IsCancellationRequested
                ? $"TLS handshake not finished within {HandshakeTimeout.TotalSeconds:0} s" : "TLS handshake failed: " + e.Message, e);
        }
    }
}
