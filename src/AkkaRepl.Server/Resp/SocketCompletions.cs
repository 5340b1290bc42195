namespace AkkaRepl.Server.Resp;

/// <summary>
/// Whether .NET runs socket continuations inline on its epoll thread (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>,
/// set by a standalone node unless the environment says otherwise) or hops to the thread pool. Inline, a blocking call on a
/// socket path would stall every socket of the process, so work that may block (AUTH's PBKDF2) checks
/// <see cref="Inline"/> and moves to the thread pool first.
/// </summary>
internal static class SocketCompletions
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>As the socket engine reads it (System.Net.Sockets, SocketAsyncEngine.Unix): exactly "1" means inline.</summary>
    public static bool Inline => Environment.GetEnvironmentVariable(Variable) == "1";
}
