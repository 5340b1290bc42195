namespace AkkaRepl.Core.Options;

/// <summary>TLS on the node's client ports. HOCON path <c>akkarepl.tls</c>. See docs/security.md.</summary>
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
    /// <summary>How often, at most, the files are checked for a renewed certificate.</summary>
    [OptionRange("100 ms", "1 h")]
    public TimeSpan ReloadCheckInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public void Validate(OptionsValidationContext context)
    {
        if ((Resp || Http) && (CertificateFile is null || KeyFile is null))
            context.Add($"{context.Path}.resp or {context.Path}.http is on, so {context.PathOf(nameof(CertificateFile))} and " +
                        $"{context.PathOf(nameof(KeyFile))} must both be set (PEM files)");
    }
}
