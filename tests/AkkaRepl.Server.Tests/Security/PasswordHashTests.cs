using AkkaRepl.Core.Config;
using AkkaRepl.Core.Errors;
using AkkaRepl.Server.Security;

namespace AkkaRepl.Server.Tests.Security;

public class PasswordHashTests
{
    [Fact(Timeout = 30_000)]
    public async Task A_hash_verifies_its_password_only_and_two_hashes_of_one_password_differ_by_salt()
    {
        await Task.Yield();
        var first = PasswordHash.Create("correct horse", 1000);
        var second = PasswordHash.Create("correct horse", 1000);
        Assert.StartsWith("pbkdf2-sha256$1000$", first);
        Assert.NotEqual(first, second);
        Assert.DoesNotContain("correct horse", first);
        Assert.True(PasswordHash.Verify("correct horse"u8, first));
        Assert.True(PasswordHash.Verify("correct horse"u8, second));
        Assert.False(PasswordHash.Verify("correct horsE"u8, first));
        Assert.False(PasswordHash.Verify("correct horse"u8, "correct horse"));
    }

    [Fact(Timeout = 30_000)]
    public async Task Config_refuses_a_plain_password_a_duplicate_user_with_clear_messages()
    {
        await Task.Yield();
        var hash = PasswordHash.Create("pw", 1000);
        var error = Assert.Throws<ConfigException>(() => NodeConfigLoader.Load(null,
        [
            $"akkarepl.security.users = [{{ name = alice, password-hash = \"hunter2\" }}, {{ name = alice, password-hash = \"{hash}\" }}]",
        ], new Dictionary<string, string>(), new Dictionary<string, string>()));
        Assert.Contains("akkarepl.security.users[0].password-hash is not a password hash: expected pbkdf2-sha256$<iterations>$<salt>$<hash> " +
                        "as printed by `akkarepl passwd` (plain passwords are never accepted)", error.Message);
        Assert.Contains("akkarepl.security.users[1].name = 'alice' is listed twice", error.Message);
        Assert.DoesNotContain("hunter2", error.Message);
    }
}
