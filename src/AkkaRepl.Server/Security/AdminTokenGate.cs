using System.Net;
using System.Security.Cryptography;
using System.Text;
using AkkaRepl.Core.Options;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Server.Security;

/// <summary>
/// HTTP middleware of the admin endpoint: the write verbs (everything under <c>/admin/</c>, and any method but GET
/// or HEAD, so a future verb is covered without a change here) need <c>Authorization: Bearer &lt;admin-token&gt;</c>;
/// read-only endpoints need it too when <c>protect-status</c> is on. Tokens are compared in fixed time.
/// <para>Without a token the write verbs answer loopback clients only (as RESP without users listens on loopback only):
/// they include promote, follow and the whole data set (<c>/admin/backup/snapshot</c>), so a node reachable from a
/// network must not serve them to anyone there, unless <c>allow-unauthenticated-remote</c> says so.</para>
/// </summary>
public sealed partial class AdminTokenGate(SecurityOptions options, ILogger logger)
{
    private readonly byte[]? _token = options.AdminToken is { } token ? Encoding.UTF8.GetBytes(token) : null;

    /// <summary>True when the request changes something (needs the token whenever one is configured).</summary>
    public static bool IsWriteVerb(HttpRequest request) =>
        request.Path.StartsWithSegments("/admin") || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method));

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (_token is null && IsWriteVerb(context.Request) && !options.AllowUnauthenticatedRemote && !IsLocal(context.Connection.RemoteIpAddress))
        {
            LogRemoteRefused(logger, context.Request.Method, context.Request.Path.ToString(), context.Connection.RemoteIpAddress?.ToString() ?? "?");
            await RefuseAsync(context, StatusCodes.Status403Forbidden,
                "admin verbs from another machine need akkarepl.security.admin-token (none is configured, so they answer " +
                "loopback clients only); or set akkarepl.security.allow-unauthenticated-remote = on").ConfigureAwait(false);
            return;
        }
        if (_token is null || !(options.ProtectStatus || IsWriteVerb(context.Request)))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await RefuseAsync(context, StatusCodes.Status401Unauthorized,
                "this endpoint needs the admin token: send \"Authorization: Bearer <token>\" (akkarepl.security.admin-token); " +
                "the CLI takes --token or AKKAREPL_ADMIN_TOKEN").ConfigureAwait(false);
            return;
        }
        var given = Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim());
        if (!CryptographicOperations.FixedTimeEquals(given, _token))
        {
            LogWrongToken(logger, context.Request.Method, context.Request.Path.ToString(), context.Connection.RemoteIpAddress?.ToString() ?? "?");
            await RefuseAsync(context, StatusCodes.Status403Forbidden, "wrong admin token").ConfigureAwait(false);
            return;
        }
        await next(context).ConfigureAwait(false);
    }

    /// <summary>A loopback client (an IPv4 one may arrive mapped to IPv6); no address at all is an in-process one.</summary>
    private static bool IsLocal(IPAddress? remote) =>
        remote is null || IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote);

    private static Task RefuseAsync(HttpContext context, int status, string error)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "HTTP {Method} {Path} from {Remote} refused: wrong admin token")]
    private static partial void LogWrongToken(ILogger logger, string method, string path, string remote);

    [LoggerMessage(Level = LogLevel.Warning, Message = "HTTP {Method} {Path} from {Remote} refused: no admin token is configured, so admin verbs answer loopback clients only")]
    private static partial void LogRemoteRefused(ILogger logger, string method, string path, string remote);
}
