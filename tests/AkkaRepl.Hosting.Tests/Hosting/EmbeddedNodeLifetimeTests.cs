using AkkaRepl.Core.Config;
using AkkaRepl.Core.Errors;
using AkkaRepl.Hosting.Node;
using AkkaRepl.Hosting.Store;
using AkkaRepl.Hosting.Tests.Support;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Primary;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Hosting.Tests.Hosting;

public sealed class EmbeddedNodeLifetimeTests
{
    private static IHost Build(Action<IConfigurationBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        configure(builder.Configuration);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAkkaRepl(builder.Configuration);
        return builder.Build();
    }

    [Fact(Timeout = 60_000)]
    public async Task A_node_configured_from_hocon_starts_and_stops_with_the_host_and_keeps_its_writes()
    {
        using var dir = new TempDir();
        var hocon = $$"""akkarepl.node { node-id = app1, data-dir = "{{dir.Path}}", resp-port = 0, http-port = 0, replication-port = 0 }""";
        WriteReceipt receipt;
        using (var host = Build(c => c.AddHoconString(hocon)))
        {
            var store = host.Services.GetRequiredService<IReplicatedStore>();
            await Assert.ThrowsAsync<NodeNotRunningException>(() => store.SetAsync("k", "v"));
            await host.StartAsync();
            await store.WhenReadyAsync();
            Assert.Equal(NodeRole.Primary, store.Role);
            receipt = await store.SetAsync("greeting", "hello", Durability.Local);
            await host.StopAsync();
            var stopped = await Assert.ThrowsAsync<NodeNotRunningException>(() => store.SetAsync("k", "v"));
            Assert.Equal("the AkkaRepl node has stopped (the host is shutting down)", stopped.Message);
        }
        // The stopped node released its data directory and flushed: a new host opens it and finds the write.
        using (var again = Build(c => c.AddHoconString(hocon)))
        {
            await again.StartAsync();
            var store = again.Services.GetRequiredService<IReplicatedStore>();
            Assert.Equal(receipt.EndLsn, store.AppliedLsn);
            Assert.Equal("hello", (await store.GetAsync("greeting")).Value);
            await again.StopAsync();
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_bad_config_stops_the_host_at_start_with_a_message_naming_the_key()
    {
        using var dir = new TempDir();
        using var host = Build(c => c.AddHoconString($$"""akkarepl.node { data-dir = "{{dir.Path}}", resp-port = 70000 }""", "bad.conf"));
        var error = await Assert.ThrowsAsync<ConfigException>(() => host.StartAsync());
        Assert.Contains("akkarepl.node.resp-port", error.Message);
        Assert.Contains("70000", error.Message);
        var store = host.Services.GetRequiredService<IReplicatedStore>();
        await Assert.ThrowsAsync<ConfigException>(() => store.WhenReadyAsync());
    }

    [Fact(Timeout = 60_000)]
    public async Task Appsettings_keys_and_akkarepl_environment_variables_configure_the_node()
    {
        using var dir = new TempDir();
        var json = Path.Combine(dir.Path + "-settings.json");
        await File.WriteAllTextAsync(json, """{ "akkarepl": { "node": { "node-id": "from-json", "resp-port": 0, "http-port": 0, "replication-port": 0 } } }""");
        try
        {
            using var host = Build(c => c.AddJsonFile(json)
                .AddAkkaReplEnvironmentVariables(new Dictionary<string, string> { ["AKKAREPL__NODE__DATA_DIR"] = dir.Path }));
            await host.StartAsync();
            var store = host.Services.GetRequiredService<IReplicatedStore>();
            Assert.Equal("from-json", store.NodeId.Value);
            Assert.True(File.Exists(Path.Combine(dir.Path, "node-state.json")) || Directory.Exists(Path.Combine(dir.Path, "wal")));
            await host.StopAsync();
        }
        finally { File.Delete(json); }
    }
}
