using System.Net;
using System.Text;
using AkkaRepl.Core.Options;

namespace AkkaRepl.Server.Security;

/// <summary>A logged-in RESP user.</summary>
public sealed record RespUser(string Name, bool ReadOnly);

/// <summary>
/// Checks RESP credentials against the configured users, rate-limited per client address. With no users
/// configured, <see cref="Required"/> is false and every connection starts as the unrestricted default user.
/// </summary>
public sealed class RespAuthenticator
{
    /// <summary>Redis's reply to a wrong user name or password, byte for byte.</summary>
    public const string WrongPass = "WRONGPASS invalid username-password pair or user is disabled.";
    /// <summary>Redis's reply to a command before AUTH.</summary>
    public const string NoAuth = "NOAUTH Authentication required.";
    /// <summary>Redis's reply to AUTH when no password is configured.</summary>
    public const string NoPasswordConfigured =
        "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";
    /// <summary>The user <c>AUTH password</c> logs in as.</summary>
    public const string DefaultUser = "default";

    private readonly Dictionary<string, RespUserOptions> _users;
    private readonly AuthFailureLimiter _limiter;

    /// <summary>Users and limits from <paramref name="options"/>.</summary>
    public RespAuthenticator(SecurityOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _users = options.Users.ToDictionary(u => u.Name, StringComparer.Ordinal);
        _limiter = new AuthFailureLimiter(options.AuthFailuresPerMinute, time);
    }

    /// <summary>No users configured: connections need no AUTH.</summary>
    public static RespAuthenticator Open { get; } = new(new SecurityOptions(), TimeProvider.System);

    /// <summary>True when connections must authenticate before other commands.</summary>
    public bool Required => _users.Count > 0;

    /// <summary>How many users are configured.</summary>
    public int UserCount => _users.Count;

    /// <summary>The user a connection is before it authenticates: the unrestricted default user when no users are
    /// configured, else nobody.</summary>
    public RespUser? Initial => Required ? null : new RespUser(DefaultUser, false);

    /// <summary>Checks a user name (null: <c>default</c>) and password from <paramref name="address"/>: the user, or
    /// the error text to answer (without the leading '-').</summary>
    public (RespUser? User, string? Error) Authenticate(string? name, ReadOnlySpan<byte> password, IPAddress? address)
    {
        // As Redis's passwordless default user: any password logs in as default, AUTH without a name is an error.
        if (!Required) return name == DefaultUser ? (Initial, null) : (null, name is null ? NoPasswordConfigured : WrongPass);
        if (address is not null && _limiter.RetryAfter(address) is { } wait)
            return (null, $"ERR too many failed AUTH attempts from {address}; try again in {Math.Ceiling(wait.TotalSeconds)} s");
        if (_users.TryGetValue(name ?? DefaultUser, out var user) && PasswordHash.Verify(password, user.PasswordHash))
            return (new RespUser(user.Name, user.ReadOnly), null);
        if (address is not null) _limiter.Failed(address);
        return (null, WrongPass);
    }

    /// <summary>Redis's reply when a read-only user runs a write.</summary>
    public static string NoPermission(RespUser user, string command) =>
        $"NOPERM User {user.Name} has no permissions to run the '{command}' command";

    /// <summary>Decodes a RESP argument as a user name.</summary>
    public static string Name(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
