namespace AkkaRepl.Core.Options;

/// <summary>TLS on the node's ports. HOCON path <c>akkarepl.tls</c>. See docs/security.md.</summary>
public sealed record TlsOptions : IValidatableOptions
{
    /// <summary>PEM file with the node's certificate (and any intermediates after it); re-read when it changes.</summary>
    public string? CertificateFile { get; init; }
    /// <summary>PEM file with the certificate's private key (PKCS#8, RSA or EC); re-read when it changes.</summary>
    public string? KeyFile { get; init; }
    /// <summary>Serve RESP over TLS only (redis-cli --tls).</summary>
    public bool Resp { get; init; }
    /// <summary>Serve the HTTP admin endpoint over HTTPS only.</summary>
    public bool Http { get; init; }
    /// <summary>Node links over TLS only: the replication port accepts TLS only, and this node dials its upstream and
    /// the peers' control lanes with TLS, checking their certificates (see <see cref="PeerCaFile"/>).</summary>
    public bool Replication { get; init; }
    /// <summary>PEM bundle of the CA certificates that sign the members' certificates; a peer's certificate must chain
    /// to one of them. Null: the system's trust store. Read at start.</summary>
    public string? PeerCaFile { get; init; }
    /// <summary>SHA-256 fingerprints (hex, colons allowed) of the members' certificates. When not empty, a peer must
    /// present one of these exact certificates and its chain is not checked (self-signed certificates work).</summary>
    public IReadOnlyList<string> PinnedPeerCertificates { get; init; } = [];
    /// <summary>Mutual TLS on node links: a node that dials this one's replication port must present a certificate
    /// that passes the same check; one without is refused before the cluster-secret exchange.</summary>
    public bool Mutual { get; init; }
    /// <summary>The certificate of a dialled member must name its configured host (DNS or IP subject alternative name).
    /// Not checked with <see cref="PinnedPeerCertificates"/>.</summary>
    public bool CheckPeerHost { get; init; } = true;
    /// <summary>How often, at most, the files are checked for a renewed certificate.</summary>
    [OptionRange("100 ms", "1 h")]
    public TimeSpan ReloadCheckInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether any port needs the node's certificate.</summary>
    public bool AnyPort => Resp || Http || Replication;

    /// <inheritdoc />
    public void Validate(OptionsValidationContext context)
    {
        if (AnyPort && (CertificateFile is null || KeyFile is null))
            context.Add($"{context.Path}.resp, {context.Path}.http or {context.Path}.replication is on, so {context.PathOf(nameof(CertificateFile))} and " +
                        $"{context.PathOf(nameof(KeyFile))} must both be set (PEM files)");
        if (Mutual && !Replication)
            context.Add($"{context.PathOf(nameof(Mutual))} is on but {context.PathOf(nameof(Replication))} is off: mutual TLS is for node links, " +
                        $"so switch {context.PathOf(nameof(Replication))} on too (or mutual off)");
        foreach (var pin in PinnedPeerCertificates)
            if (NormalizeFingerprint(pin) is null)
                context.Add($"{context.PathOf(nameof(PinnedPeerCertificates))} entry '{pin}' is not a SHA-256 fingerprint: expected 64 hex digits " +
                            "(colons allowed), e.g. from `openssl x509 -noout -fingerprint -sha256 -in node.pem`");
    }

    /// <summary>The fingerprint as 64 upper-case hex digits, or null when it is not one.</summary>
    public static string? NormalizeFingerprint(string text)
    {
        var hex = text.Replace(":", "", StringComparison.Ordinal).Trim().ToUpperInvariant();
        return hex.Length == 64 && hex.All(Uri.IsHexDigit) ? hex : null;
    }
}
