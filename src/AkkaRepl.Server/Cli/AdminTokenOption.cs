using System.CommandLine;

namespace AkkaRepl.Server.Cli;

/// <summary>The <c>--token</c> option of the verbs that call a node's HTTP admin endpoint.</summary>
internal static class AdminTokenOption
{
    public const string EnvironmentVariable = "AKKAREPL_ADMIN_TOKEN";
    public const string Hint = "pass --token or set " + EnvironmentVariable + " to the node's akkarepl.security.admin-token";

    public static Option<string?> Create() => new("--token")
    {
        Description = $"The nodes' admin token (akkarepl.security.admin-token); default: ${EnvironmentVariable}.",
    };
}
