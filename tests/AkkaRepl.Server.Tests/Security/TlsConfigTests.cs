using AkkaRepl.Core.Config;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Tests.Node;

namespace AkkaRepl.Server.Tests.Security;

public class TlsConfigTests
{
    [Fact(Timeout = 30_000)]
    public async Task Tls_on_without_certificate_files_is_refused_by_config_validation()
    {
        await Task.Yield();
        var error = Assert.Throws<ConfigException>(() => NodeConfigLoader.Load(null, ["akkarepl.tls.resp = on"],
            new Dictionary<string, string>(), new Dictionary<string, string>()));
        Assert.Contains("akkarepl.tls.resp, akkarepl.tls.http or akkarepl.tls.replication is on, so akkarepl.tls.certificate-file and akkarepl.tls.key-file must both be set (PEM files)",
            error.Message);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_node_whose_certificate_files_do_not_load_does_not_start_and_says_which_files()
    {
        using var dir = new TempDataDir();
        var missing = Path.Combine(dir.Path, "missing.pem");
        var options = new AkkaReplOptions
        {
            Node = new NodeOptions { NodeId = "p", DataDir = dir.Path, RespPort = 0, HttpPort = 0, ReplicationPort = 0 },
            Tls = new TlsOptions { CertificateFile = missing, KeyFile = missing, Resp = true },
        };
        var error = await Assert.ThrowsAsync<ConfigException>(() => Server.Node.NodeHost.StartAsync(options, new CapturingLoggerFactory(), default));
        Assert.StartsWith($"akkarepl.tls: cannot load the certificate {missing} with the key {missing}: ", error.Message);
    }
}
