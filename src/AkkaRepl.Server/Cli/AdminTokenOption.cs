using System.CommandLine;

namespace AkkaRepl.Server.Cli;

/// <summary>The <c>--token</c> option of the verbs that call a node's HTTP admin endpoint.</summary>
internal static class AdminTokenOption
{
    public const string EnvironmentVariable = "AKKAREPL_ADMIN_TOKEN";
    public const string Hint = "pass --token or set " + EnvironmentVariable + " to the node's akkarepl.security.admin-token";

    /// <summary>Sends <paramref name="token"/> (or $AKKAREPL_ADMIN_TOKEN when null) as the bearer token of every request.</summary>
    public static void Authorize(HttpClient http, string? token)
    {
        token ??= Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(token))
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
    }

    public static Option<string?> Create() => new("--token")
    {
        Description = $"The nodes' admin token (akkarepl.security.admin-token); default: ${EnvironmentVariable}.",
    };
}
