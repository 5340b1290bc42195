using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AkkaRepl.Core.Options;

namespace AkkaRepl.Server.Security;

/// <summary>
/// Salted PBKDF2-SHA256 password hashes in the text form <c>pbkdf2-sha256$iterations$salt$hash</c> (base64), the
/// only form config accepts. A stolen config file then gives an attacker a slow brute force, not the passwords.
/// </summary>
public static class PasswordHash
{
    /// <summary>Iterations of a new hash: slow enough to make guessing expensive, quick enough for one AUTH.</summary>
    public const int DefaultIterations = 100_000;

    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    /// <summary>Hashes <paramref name="password"/> with a fresh random salt.</summary>
    public static string Create(string password, int iterations = DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1000);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Join('$', RespUserOptions.HashScheme, iterations.ToString(CultureInfo.InvariantCulture),
            Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    /// <summary>True when <paramref name="password"/> matches <paramref name="encoded"/>; compared in fixed time.
    /// False (never an exception) for a malformed hash: config validation already refused those.</summary>
    public static bool Verify(ReadOnlySpan<byte> password, string encoded)
    {
        if (!RespUserOptions.IsWellFormedHash(encoded)) return false;
        var parts = encoded.Split('$');
        var iterations = int.Parse(parts[1], CultureInfo.InvariantCulture);
        var salt = Convert.FromBase64String(parts[2]);
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
