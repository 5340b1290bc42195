using System.CommandLine;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AkkaRepl.Core.Errors;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// How the CLI verbs reach nodes' HTTP admin endpoints: plain HTTP, or HTTPS (a node with <c>akkarepl.tls.http = on</c>)
/// when <c>--node</c> starts with <c>https://</c> or <c>--tls</c> is given, trusting the CA in <c>--ca FILE</c> (a
/// private CA) or else the system's trust store. Every member found through the first node is reached the same way.
/// Failures become one clear <see cref="AkkaReplException"/>: which node, what is wrong with its certificate, what to pass.
/// </summary>
internal sealed class NodeHttp
{
    private readonly X509Certificate2Collection? _authorities;
    private readonly string? _caFile;
    private string? _lastCertificateProblem; // written by the validation callback of the last handshake that failed

    /// <summary>Plain HTTP, no CA: what the verbs did before TLS.</summary>
    public static NodeHttp Plain => new(tls: false, caFile: null);

    /// <exception cref="AkkaReplException">The CA file does not load.</exception>
    public NodeHttp(bool tls, string? caFile)
    {
        Tls = tls || caFile is not null;
        _caFile = caFile;
        if (caFile is null) return;
        try
        {
            _authorities = new X509Certificate2Collection();
            _authorities.ImportFromPemFile(caFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new AkkaReplException($"--ca {caFile}: cannot read CA certificates: {e.Message}");
        }
        if (_authorities.Count == 0) throw new AkkaReplException($"--ca {caFile}: no PEM certificate in the file (expected -----BEGIN CERTIFICATE-----)");
    }

    /// <summary>HTTPS.</summary>
    public bool Tls { get; }

    /// <summary>Splits <c>--node</c>: <c>https://HOST:PORT</c> turns TLS on, <c>http://</c> and a trailing slash are dropped.</summary>
    public static (string HostPort, NodeHttp Http) Parse(string node, bool tls, string? caFile)
    {
        var trimmed = node.Trim().TrimEnd('/');
        if (trimmed.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) return (trimmed["https://".Length..], new NodeHttp(true, caFile));
        if (trimmed.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            if (tls || caFile is not null) throw new AkkaReplException($"--node {node} says http://, but --tls or --ca asks for HTTPS: use https://");
            trimmed = trimmed["http://".Length..];
        }
        return (trimmed, new NodeHttp(tls, caFile));
    }

    /// <summary>HOST:PORT for a URL: an IPv6 literal goes in brackets (<c>[::1]:7380</c>).</summary>
    public static string HostPort(string host, int port) => Replication.Security.PeerHttp.HostPort(host, port);

    /// <summary>Splits HOST:PORT at its last ':' (so <c>[::1]:7380</c> works); the host keeps no brackets.</summary>
    /// <exception cref="AkkaReplException">No port, or not a number.</exception>
    public static (string Host, int Port) SplitHostPort(string hostPort)
    {
        var colon = hostPort.LastIndexOf(':');
        if (colon <= 0 || hostPort.EndsWith(']') || !int.TryParse(hostPort.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port))
            throw new AkkaReplException($"'{hostPort}' is not a node address: expected HOST:PORT (an IPv6 address in brackets: [::1]:7380)");
        return (hostPort[..colon].Trim('[', ']'), port);
    }

    public string Url(string hostPort, string path) => $"{(Tls ? "https" : "http")}://{hostPort}{path}";

    /// <summary>A client that checks node certificates against <c>--ca</c> (or the system store) and remembers why one failed.</summary>
    public HttpClient CreateClient(TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = Validate;
        return new HttpClient(handler) { Timeout = timeout };
    }

    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            _lastCertificateProblem = "it presented no certificate";
            return false;
        }
        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (_authorities is not null)
        {
            using var own = new X509Chain();
            own.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            own.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            own.ChainPolicy.CustomTrustStore.AddRange(_authorities);
            if (!own.Build(presented))
            {
                _lastCertificateProblem = $"its certificate {presented.Subject} is not issued by a CA in --ca {_caFile}: " +
                                          string.Join("; ", own.ChainStatus.Select(s => s.StatusInformation.Trim()).Distinct());
                return false;
            }
            errors &= ~SslPolicyErrors.RemoteCertificateChainErrors; // the chain was judged against --ca above
        }
        if (errors == SslPolicyErrors.None) return true;
        _lastCertificateProblem = errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)
            ? $"its certificate {presented.Subject} does not name the host in --node (address the node by a name or IP its certificate lists)"
            : $"its certificate {presented.Subject} is not trusted ({errors}); pass --ca FILE with the CA that signed it";
        return false;
    }

    /// <summary>The error to show for a request to <paramref name="hostPort"/> that failed with <paramref name="ex"/>.</summary>
    public AkkaReplException Explain(string hostPort, HttpRequestException ex)
    {
        if (Tls && ex.InnerException is AuthenticationException)
            return Interlocked.Exchange(ref _lastCertificateProblem, null) is { } problem
                ? new AkkaReplException($"TLS certificate check failed for node {hostPort}: {problem}")
                : new AkkaReplException($"TLS handshake with node {hostPort} failed ({ex.InnerException.Message}); is it serving plain HTTP " +
                                        "(akkarepl.tls.http = off)? Then drop --tls and https://");
        if (!Tls && ex.HttpRequestError is HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse)
            return new AkkaReplException($"cannot reach node {hostPort}: {ex.Message} If it serves HTTPS (akkarepl.tls.http = on), " +
                                         "give --node https://HOST:PORT or --tls, and --ca FILE for a private CA");
        return new AkkaReplException($"cannot reach node {hostPort}: {ex.Message}");
    }

    /// <summary>The <c>--tls</c> and <c>--ca</c> options, added to a verb.</summary>
    public sealed record Options(Option<bool> TlsOption, Option<string?> CaOption)
    {
        public static Options AddTo(Command command)
        {
            var options = new Options(
                new Option<bool>("--tls") { Description = "Reach the nodes over HTTPS (akkarepl.tls.http = on); https:// in --node does the same." },
                new Option<string?>("--ca") { Description = "PEM file with the CA that signed the nodes' certificates (a private CA); implies --tls. Default: the system trust store." });
            command.Options.Add(options.TlsOption);
            command.Options.Add(options.CaOption);
            return options;
        }

        /// <summary>The node's HOST:PORT and how to reach it, from <c>--node</c>, <c>--tls</c> and <c>--ca</c>.</summary>
        public (string HostPort, NodeHttp Http) Get(ParseResult parse, string node) =>
            Parse(node, parse.GetValue(TlsOption), parse.GetValue(CaOption));
    }
}
