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
/// </summary>
public sealed partial class AdminTokenGate(SecurityOptions options, ILogger logger)
{
    private readonly byte[]? _token = options.AdminToken is { } token ? Encoding.UTF8.GetBytes(token) : null;

    /// <summary>True when the request changes something (needs the token whenever one is configured).</summary>
    public static bool IsWriteVerb(HttpRequest request) =>
        request.Path.StartsWithSegments("/admin") || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method));

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
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

    private static Task RefuseAsync(HttpContext context, int status, string error)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "HTTP {Method} {Path} from {Remote} refused: wrong admin token")]
    private static partial void LogWrongToken(ILogger logger, string method, string path, string remote);
}
