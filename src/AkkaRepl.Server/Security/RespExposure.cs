using System.Net;
using AkkaRepl.Core.Options;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Server.Security;

/// <summary>
/// Where the RESP endpoint may listen. Without users anyone who reaches the port can read and write, so a node
/// with no users listens on loopback only unless <c>akkarepl.security.allow-unauthenticated-remote</c> is on
/// (Redis's protected mode, decided once at start-up). Either way one start-up line says which.
/// </summary>
public static partial class RespExposure
{
    /// <summary>The address to bind RESP to, given the configured bind address.</summary>
    public static IPAddress Choose(IPAddress configured, SecurityOptions security, ILogger logger)
    {
        if (security.Users.Count > 0)
        {
            LogAuthOn(logger, security.Users.Count, configured.ToString());
            return configured;
        }
        if (IPAddress.IsLoopback(configured))
        {
            LogOpenLoopback(logger, configured.ToString());
            return configured;
        }
        if (security.AllowUnauthenticatedRemote)
        {
            LogOpenRemote(logger, configured.ToString());
            return configured;
        }
        var loopback = configured.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        LogProtected(logger, configured.ToString(), loopback.ToString());
        return loopback;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "RESP authentication is on ({Users} user(s)); listening on {Address}")]
    private static partial void LogAuthOn(ILogger logger, int users, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "RESP authentication is off (no akkarepl.security.users); listening on loopback {Address} only")]
    private static partial void LogOpenLoopback(ILogger logger, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RESP authentication is off and akkarepl.security.allow-unauthenticated-remote = on: anyone who reaches {Address} can read and write")]
    private static partial void LogOpenRemote(ILogger logger, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RESP authentication is off (no akkarepl.security.users), so RESP listens on loopback {Loopback} only, not on the bind address {Address}; configure users, or set akkarepl.security.allow-unauthenticated-remote = on")]
    private static partial void LogProtected(ILogger logger, string address, string loopback);
}
