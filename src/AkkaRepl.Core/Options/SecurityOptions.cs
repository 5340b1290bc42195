namespace AkkaRepl.Core.Options;

/// <summary>Who may talk to a node: RESP users, AUTH rate limits and the HTTP admin token.
/// HOCON path <c>akkarepl.security</c>. See docs/security.md.</summary>
public sealed record SecurityOptions : IValidatableOptions
{
    /// <summary>Shortest cluster secret and admin token accepted: anything shorter is guessable.</summary>
    public const int MinSecretLength = 16;

    /// <summary>RESP users. Empty: RESP needs no authentication, and the endpoint listens on loopback only
    /// unless <see cref="AllowUnauthenticatedRemote"/> is on.</summary>
    public IReadOnlyList<RespUserOptions> Users { get; init; } = [];
    /// <summary>With no users, still listen for RESP on a non-loopback bind address (anyone who reaches the port
    /// can read and write).</summary>
    public bool AllowUnauthenticatedRemote { get; init; }
    /// <summary>Most failed AUTH attempts per client address in a minute; further attempts are refused unchecked.</summary>
    [OptionRange(1, 1_000_000)]
    public int AuthFailuresPerMinute { get; init; } = 10;
    /// <summary>Bearer token the HTTP admin verbs (everything under /admin/, and any request but GET or HEAD) require,
    /// at least 16 characters; null: they are open.</summary>
    public string? AdminToken { get; init; }
    /// <summary>Require the admin token for the read-only HTTP endpoints (/status, /health...) too.</summary>
    public bool ProtectStatus { get; init; }

    /// <inheritdoc />
    public void Validate(OptionsValidationContext context)
    {
        if (AdminToken is { Length: < 16 })
            context.Add($"{context.PathOf(nameof(AdminToken))} is {AdminToken.Length} characters long: use at least 16 (e.g. `openssl rand -base64 32`)");
        // The token check compares it with the header's value, which HTTP trims: such a token could never match.
        if (AdminToken is { Length: > 0 } token && (char.IsWhiteSpace(token[0]) || char.IsWhiteSpace(token[^1]) || token.Any(char.IsControl)))
            context.Add($"{context.PathOf(nameof(AdminToken))} has whitespace or control characters at its start or end (or control characters inside): " +
                        "an HTTP Authorization header cannot carry them, so no request could ever match it; remove them (a newline from a secret file?)");
        if (ProtectStatus && AdminToken is null)
            context.Add($"{context.PathOf(nameof(ProtectStatus))} = on needs {context.PathOf(nameof(AdminToken))}");
        var users = context.PathOf(nameof(Users));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Users.Count; i++)
        {
            var user = Users[i];
            if (user.Name.Length == 0 || user.Name.Any(c => c is <= ' ' or > '~'))
                context.Add($"{users}[{i}].name = '{user.Name}' is not a valid user name: use 1 or more printable characters without spaces");
            else if (!seen.Add(user.Name))
                context.Add($"{users}[{i}].name = '{user.Name}' is listed twice: user names are unique");
            if (!RespUserOptions.IsWellFormedHash(user.PasswordHash))
                context.Add($"{users}[{i}].password-hash is not a password hash: expected pbkdf2-sha256$<iterations>$<salt>$<hash> " +
                            "as printed by `akkarepl passwd` (plain passwords are never accepted)");
        }
    }
}
