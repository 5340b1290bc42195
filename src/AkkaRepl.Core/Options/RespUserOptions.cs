using System.Globalization;

namespace AkkaRepl.Core.Options;

/// <summary>One RESP user: a name, a salted PBKDF2 hash of the password (never the password) and whether the user
/// may only read. The user named <c>default</c> is the one <c>AUTH password</c> (without a name) logs in as.</summary>
public sealed record RespUserOptions
{
    /// <summary>The user name clients give to AUTH and HELLO.</summary>
    public string Name { get; init; } = "";
    /// <summary><c>pbkdf2-sha256$iterations$salt$hash</c> (salt and hash in base64), as printed by <c>akkarepl passwd</c>.</summary>
    public string PasswordHash { get; init; } = "";
    /// <summary>The user may run only commands that change nothing; writes answer NOPERM.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>The prefix of every password hash; the algorithm is part of the text so it can change later.</summary>
    public const string HashScheme = "pbkdf2-sha256";

    /// <summary>True when <paramref name="hash"/> has the shape of a password hash (scheme, iterations &gt;= 1000,
    /// salt of 16+ bytes, 32-byte hash); the hash itself is checked only at AUTH.</summary>
    public static bool IsWellFormedHash(string hash)
    {
        var parts = hash.Split('$');
        if (parts.Length != 4 || parts[0] != HashScheme) return false;
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations < 1000) return false;
        try { return Convert.FromBase64String(parts[2]).Length >= 16 && Convert.FromBase64String(parts[3]).Length == 32; }
        catch (FormatException) { return false; }
    }
}
