using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AkkaRepl.Testing.Security;

/// <summary>A private CA and node certificates for 127.0.0.1/localhost, made in the test (no openssl), written as
/// PEM files the node reads. Node certificates allow TLS server and client authentication (node links dial too).</summary>
public sealed class TestCertificates : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("akkarepl-tls-").FullName;
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestCertificates(string authority = "CN=AkkaRepl Test CA")
    {
        var request = new CertificateRequest(authority, _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllText(AuthorityFile, Authority.ExportCertificatePem());
        WriteServerCertificate("CN=akkarepl-node-1");
    }

    public X509Certificate2 Authority { get; }
    public string AuthorityFile => Path.Combine(_dir, "ca.pem");
    public string CertificateFile => Path.Combine(_dir, "node.pem");
    public string KeyFile => Path.Combine(_dir, "node.key");

    /// <summary>Issues a new server certificate with <paramref name="subject"/> and (over)writes the node's files.</summary>
    public X509Certificate2 WriteServerCertificate(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        using var issued = request.Create(Authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), serial);
        File.WriteAllText(KeyFile, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(CertificateFile, issued.ExportCertificatePem());
        // Make the change visible to a reloader that compares write times, even within one clock tick.
        var stamp = DateTime.UtcNow.AddSeconds(_writes++);
        File.SetLastWriteTimeUtc(CertificateFile, stamp);
        File.SetLastWriteTimeUtc(KeyFile, stamp);
        return X509CertificateLoader.LoadCertificate(issued.RawData);
    }

    private int _writes;

    /// <summary>The SHA-256 fingerprint of the certificate now in <see cref="CertificateFile"/>, as akkarepl.tls.pinned-peer-certificates takes it.</summary>
    public string Fingerprint => Convert.ToHexString(SHA256.HashData(X509Certificate2.CreateFromPem(File.ReadAllText(CertificateFile)).RawData));

    public void Dispose()
    {
        _caKey.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
