using System.Security.Cryptography.X509Certificates;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Options;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Core.Security;

/// <summary>
/// The node's TLS certificate from PEM files, re-read when either file changes (checked at most once per
/// <c>reload-check-interval</c>, when a connection asks), so renewed certificates are used without a restart.
/// A change that does not load (say, the key written after the certificate) keeps the current certificate and
/// logs a warning; the next check tries again. Thread-safe.
/// </summary>
public sealed partial class CertificateReloader
{
    private readonly string _certificateFile;
    private readonly string _keyFile;
    private readonly TimeSpan _checkInterval;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private X509Certificate2 _current;
    private (DateTime Certificate, DateTime Key) _loadedStamps;
    private long _nextCheck;

    /// <exception cref="ConfigException">The files are missing or do not hold a certificate and its key.</exception>
    public CertificateReloader(TlsOptions options, ILogger logger)
    {
        _certificateFile = options.CertificateFile ?? throw new ConfigException("akkarepl.tls.certificate-file is not set");
        _keyFile = options.KeyFile ?? throw new ConfigException("akkarepl.tls.key-file is not set");
        _checkInterval = options.ReloadCheckInterval;
        _logger = logger;
        try { (_current, _loadedStamps) = Load(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new ConfigException($"akkarepl.tls: cannot load the certificate {_certificateFile} with the key {_keyFile}: {e.Message}");
        }
        _nextCheck = Environment.TickCount64 + (long)_checkInterval.TotalMilliseconds;
        LogLoaded(_logger, _current.Subject, _current.NotAfter.ToUniversalTime().ToString("u"), _certificateFile);
    }

    /// <summary>The certificate to present now (re-read first if the files changed).</summary>
    public X509Certificate2 Current
    {
        get
        {
            if (Environment.TickCount64 < Volatile.Read(ref _nextCheck)) return _current;
            lock (_lock)
            {
                if (Environment.TickCount64 < _nextCheck) return _current;
                _nextCheck = Environment.TickCount64 + (long)_checkInterval.TotalMilliseconds;
                try
                {
                    var stamps = (File.GetLastWriteTimeUtc(_certificateFile), File.GetLastWriteTimeUtc(_keyFile));
                    if (stamps == _loadedStamps) return _current;
                    var (loaded, loadedStamps) = Load();
                    _current = loaded; // the old one stays valid for connections that already use it
                    _loadedStamps = loadedStamps;
                    LogLoaded(_logger, loaded.Subject, loaded.NotAfter.ToUniversalTime().ToString("u"), _certificateFile);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
                {
                    LogReloadFailed(_logger, _certificateFile, e.Message);
                }
                return _current;
            }
        }
    }

    private (X509Certificate2, (DateTime, DateTime)) Load()
    {
        var stamps = (File.GetLastWriteTimeUtc(_certificateFile), File.GetLastWriteTimeUtc(_keyFile));
        var certificate = X509Certificate2.CreateFromPemFile(_certificateFile, _keyFile);
        return (certificate, stamps);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "TLS certificate {Subject} (valid until {NotAfter}) loaded from {File}")]
    private static partial void LogLoaded(ILogger logger, string subject, string notAfter, string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "TLS certificate {File} changed but does not load ({Reason}); still using the previous one")]
    private static partial void LogReloadFailed(ILogger logger, string file, string reason);
}
