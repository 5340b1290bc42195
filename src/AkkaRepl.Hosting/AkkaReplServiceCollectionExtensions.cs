using AkkaRepl.Hosting.Node;
using AkkaRepl.Hosting.StateMachines;
using AkkaRepl.Hosting.Store;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AkkaRepl.Hosting;

/// <summary>Registers an AkkaRepl node that runs inside the application's process, for its host's lifetime.</summary>
public static class AkkaReplServiceCollectionExtensions
{
    /// <summary>
    /// Runs one node in this process, configured from the <c>akkarepl</c> section of <paramref name="configuration"/>
    /// (HOCON files added with <c>AddHoconFile</c>, appsettings.json, or <c>AKKAREPL__*</c> variables added with
    /// <c>AddAkkaReplEnvironmentVariables</c>). The options are bound and validated when the host starts: a bad
    /// configuration stops the host with a <see cref="Core.Errors.ConfigException"/> that names every bad key.
    /// The node starts with the host and stops with it (in-flight writes finish, the log is flushed).
    /// Inject <see cref="IReplicatedStore"/> to use it.
    /// </summary>
    /// <returns>A builder to add the application's own replicated state machine.</returns>
    public static AkkaReplBuilder AddAkkaRepl(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = new AkkaReplBuilder(services);
        services.TryAddSingleton(builder.Registrations);
        services.TryAddSingleton(sp => new EmbeddedNode(configuration, sp.GetRequiredService<StateMachineRegistrations>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        services.TryAddSingleton<IReplicatedStore, ReplicatedStore>();
        services.TryAddSingleton<ChangeFeed.IChangeFeed, ChangeFeed.ChangeFeedReader>();
        services.AddHostedService<EmbeddedNodeService>();
        return builder;
    }
}
