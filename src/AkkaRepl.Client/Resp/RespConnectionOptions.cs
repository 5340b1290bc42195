using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace AkkaRepl.Client.Resp;

/// <summary>How <see cref="RespConnection.ConnectAsync(string, int, RespConnectionOptions, CancellationToken)"/>
/// connects: credentials for AUTH and TLS settings.</summary>
public sealed record RespConnectionOptions
{
    /// <summary>User name for <c>AUTH user password</c>; null sends <c>AUTH password</c> (the default user).</summary>
    public string? User { get; init; }
    /// <summary>Password; null sends no AUTH.</summary>
    public string? Password { get; init; }
    /// <summary>Speak TLS to the node.</summary>
    public bool Tls { get; init; }
    /// <summary>The name the node's certificate must carry; null: the host connected to.</summary>
    public string? TlsServerName { get; init; }
    /// <summary>Trust only certificates issued by this authority (a private CA, whose revocation is not checked: private
    /// CAs rarely publish lists); null: the system's trust store.</summary>
    public X509Certificate2? TrustedAuthority { get; init; }

    internal static async Task<Stream> OpenStreamAsync(Socket socket, string host, RespConnectionOptions options, CancellationToken ct)
    {
        var network = new NetworkStream(socket, ownsSocket: false);
        if (!options.Tls) return network;
        var tls = new SslStream(network, leaveInnerStreamOpen: false);
        var authentication = new SslClientAuthenticationOptions { TargetHost = options.TlsServerName ?? host };
        if (options.TrustedAuthority is { } authority)
        {
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.Add(authority);
            authentication.CertificateChainPolicy = policy;
        }
        await tls.AuthenticateAsClientAsync(authentication, ct).ConfigureAwait(false);
        return tls;
    }
}
