using AkkaRepl.Core.Options;

namespace AkkaRepl.Server.Resp;

/// <summary>
/// Whether .NET runs socket continuations inline on its epoll thread (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>)
/// or hops to the thread pool. Inline, a GET costs ~20 % less CPU and a third of the context switches
/// (docs/benchmarks.md, "RESP path rework"), but a blocking call on any socket path stalls every socket of the process,
/// so work that may block (AUTH's PBKDF2) checks <see cref="Inline"/> and moves to the thread pool first.
/// </summary>
internal static class SocketCompletions
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>As the socket engine reads it (System.Net.Sockets, SocketAsyncEngine.Unix): exactly "1" means inline.</summary>
    public static bool Inline => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>
    /// A standalone node (no other cluster members) runs inline unless the environment says otherwise (=0 opts out).
    /// A cluster member keeps the thread pool by default: its replication paths were not audited for blocking calls
    /// (a replica's snapshot receive ends with an fsync on its receive loop), and under heavy load a cluster started
    /// with inline completions lost its configured primary to an election at start-up more often. Must run before any
    /// socket exists: the engine reads the variable once, when it starts.
    /// </summary>
    public static void SetDefault(AkkaReplOptions options)
    {
        if (DefaultFor(options, Environment.GetEnvironmentVariable(Variable)) is { } value) Environment.SetEnvironmentVariable(Variable, value);
    }

    /// <summary>The value to set given the variable's current value (null: leave it as it is).</summary>
    internal static string? DefaultFor(AkkaReplOptions options, string? current) =>
        current is null && options.Cluster.Members.Count <= 1 ? "1" : null;
}
