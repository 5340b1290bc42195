using System.ComponentModel;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Options;
using AkkaRepl.Core.Security;

namespace AkkaRepl.Replication.Security;

/// <summary>
/// TLS on node links (<c>akkarepl.tls.replication</c>): the accepting side presents the node's certificate and, with
/// <c>mutual</c>, requires one from the dialling node; the dialling side checks the member's certificate and presents
/// its own. Both sides take the certificate from the shared <see cref="CertificateReloader"/> at every handshake, so
/// a renewed certificate is used by the next link without a restart. A peer's certificate passes when it is one of
/// the pinned fingerprints, or else when it chains to the configured CA bundle (or the system's trust store), has the
/// right extended key usage and, for a dialled member, names its host.
/// <para>Invariant: a handshake that fails any check ends the link before a frame or a cluster-secret byte moves, and
/// the failure says which check and what to change.</para>
/// </summary>
public sealed class LinkTls
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    private readonly CertificateReloader _certificates;
    private readonly X509Certificate2Collection? _authorities;
    private readonly string? _authorityFile;
    private readonly HashSet<string> _pinned;
    private readonly bool _mutual;
    private readonly bool _checkHost;

    /// <summary>How long either side has to finish the TLS handshake.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <exception cref="ConfigException">The CA bundle does not load (the message names akkarepl.tls.peer-ca-file and the file).</exception>
    public LinkTls(CertificateReloader certificates, TlsOptions options)
    {
        _certificates = certificates;
        _mutual = options.Mutual;
        _checkHost = options.CheckPeerHost;
        _pinned = options.PinnedPeerCertificates.Select(p => TlsOptions.NormalizeFingerprint(p)!).ToHashSet();
        if (options.PeerCaFile is { } file)
        {
            _authorityFile = file;
            try
            {
                _authorities = new X509Certificate2Collection();
                _authorities.ImportFromPemFile(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                throw new ConfigException($"akkarepl.tls.peer-ca-file: cannot read CA certificates from {file}: {e.Message}");
            }
            if (_authorities.Count == 0)
                throw new ConfigException($"akkarepl.tls.peer-ca-file: {file} holds no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks)");
        }
    }

    /// <summary>Mutual TLS: dialling nodes must present a valid certificate.</summary>
    public bool Mutual => _mutual;

    /// <summary>The accepting side's handshake on <paramref name="network"/> (owned: disposed on failure).</summary>
    /// <exception cref="IOException">The handshake failed or timed out; the message says why (no client
    /// certificate, an untrusted one, not TLS at all, ...).</exception>
    public async Task<SslStream> AcceptAsync(Stream network, CancellationToken ct)
    {
        string? why = null;
        var tls = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(HandshakeTimeout);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = _certificates.Current,
                ClientCertificateRequired = _mutual,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    !_mutual || (why = Check(certificate, errors, ClientAuth, host: null)) is null,
            }, timeout.Token).ConfigureAwait(false);
            return tls;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or Win32Exception)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new IOException(why is not null ? "its TLS client certificate was refused: " + why
                : e is OperationCanceledException && !ct.IsCancellationRequested ? $"TLS handshake not finished within {HandshakeTimeout.TotalSeconds:0} s"
                : "TLS handshake failed (is akkarepl.tls.replication on at that node?): " + e.Message, e);
        }
    }

    /// <summary>The dialling side's handshake with the member at <paramref name="host"/>; <paramref name="peer"/> names it in errors.</summary>
    /// <exception cref="IOException">The handshake failed; the message says why (the member's certificate is not
    /// trusted, names another host, or the member refused this node's certificate).</exception>
    public async Task<SslStream> ConnectAsync(Stream network, string host, string peer, CancellationToken ct)
    {
        string? why = null;
        var tls = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(HandshakeTimeout);
            var own = _certificates.Current;
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                // Always offered, so a peer with mutual TLS on gets it whatever CA list it announces.
                ClientCertificates = [own],
                LocalCertificateSelectionCallback = (_, _, _, _, _) => own,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    (why = Check(certificate, errors, ServerAuth, host)) is null,
            }, timeout.Token).ConfigureAwait(false);
            return tls;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or Win32Exception)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            if (e is OperationCanceledException && ct.IsCancellationRequested) throw;
            throw new IOException(why is not null ? $"{peer} presented a TLS certificate this node does not trust: {why}"
                : e is OperationCanceledException ? $"TLS handshake with {peer} not finished within {HandshakeTimeout.TotalSeconds:0} s"
                : $"TLS handshake with {peer} failed (it refused this node's certificate, or akkarepl.tls.replication is off there): {e.Message}", e);
        }
    }

    /// <summary>The check a dialling node applies to a member's server certificate (pins, CA bundle, host name), for
    /// callers that run their own handshake (HTTPS to a peer's admin port). Null when it passes; otherwise why not.</summary>
    public string? CheckServerCertificate(X509Certificate? certificate, SslPolicyErrors errors, string host) =>
        Check(certificate, errors, ServerAuth, host);

    /// <summary>Null when <paramref name="certificate"/> passes; otherwise what is wrong with it.</summary>
    private string? Check(X509Certificate? certificate, SslPolicyErrors errors, Oid usage, string? host)
    {
        var role = usage == ClientAuth ? "client" : "server";
        if (certificate is null)
            return usage == ClientAuth ? "it presented no client certificate, and akkarepl.tls.mutual is on" : "it presented no certificate";
        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (_pinned.Count > 0)
        {
            var fingerprint = Convert.ToHexString(SHA256.HashData(presented.RawData));
            return _pinned.Contains(fingerprint) ? null
                : $"certificate {presented.Subject} (SHA-256 {fingerprint}) is not among akkarepl.tls.pinned-peer-certificates";
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // private CAs rarely publish revocation lists
        chain.ChainPolicy.ApplicationPolicy.Add(usage);
        if (_authorities is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        }
        if (!chain.Build(presented))
        {
            var problems = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            var against = _authorityFile is { } file ? $"the CAs in akkarepl.tls.peer-ca-file ({file})" : "the system trust store (akkarepl.tls.peer-ca-file is not set)";
            return $"{role} certificate {presented.Subject} does not pass a check against {against}: {problems} " +
                   $"(it must be issued by one of those CAs, be valid now and allow TLS {role} authentication)";
        }
        if (host is not null && _checkHost && errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return $"certificate {presented.Subject} does not name the host '{host}' configured for that member (add it as a subject " +
                   "alternative name, or set akkarepl.tls.check-peer-host = off)";
        return null;
    }
}
