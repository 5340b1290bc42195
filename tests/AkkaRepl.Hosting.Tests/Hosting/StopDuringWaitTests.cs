using AkkaRepl.Core.Config;
using AkkaRepl.Core.Ids;
using AkkaRepl.Hosting.ChangeFeed;
using AkkaRepl.Hosting.Node;
using AkkaRepl.Hosting.Store;
using AkkaRepl.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Hosting.Tests.Hosting;

/// <summary>Waits that the host's stop ends (a read-your-writes wait for an LSN not yet applied, the change feed
/// waiting for the next change) end with <see cref="NodeNotRunningException"/>, as writes do: the caller's token was
/// not cancelled, so an OperationCanceledException ("the applier stopped") said the caller had cancelled.</summary>
public sealed class StopDuringWaitTests
{
    [Fact(Timeout = 60_000)]
    public async Task Waits_ended_by_the_host_stopping_say_the_node_stopped_not_that_the_caller_cancelled()
    {
        await Task.Yield();
        using var dir = new TempDir();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddHoconString($$"""akkarepl.node { node-id = app1, data-dir = "{{dir.Path}}", resp-port = 0, http-port = 0, replication-port = 0 }""");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAkkaRepl(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync();
        var store = host.Services.GetRequiredService<IReplicatedStore>();
        var feed = host.Services.GetRequiredService<IChangeFeed>();
        await store.WhenReadyAsync();
        await store.SetAsync("k", "v");

        var far = new Lsn(store.AppliedLsn.Value + 1_000_000);
        var waiting = store.WaitForAppliedAsync(far);
        var reading = store.GetAsync("k", ReadConsistency.ReadYourWrites(far));
        var following = Task.Run(async () => { await foreach (var _ in feed.ReadAsync(Lsn.Zero)) { } });
        await host.StopAsync();

        foreach (var (what, task) in new[] { ("WaitForAppliedAsync", waiting), ("GetAsync", reading), ("change feed", following) })
        {
            var error = await Record.ExceptionAsync(() => task.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.True(error is NodeNotRunningException, $"{what} ended with {error?.GetType().Name ?? "no error"}: {error?.Message}");
        }
    }
}
