using AkkaRepl.Core.Config;
using AkkaRepl.Core.Errors;

namespace AkkaRepl.Core.Tests.Config;

public sealed class SecurityOptionsBindingTests
{
    private static readonly Dictionary<string, string> None = new();

    /// <summary>An admin token with a trailing newline (a secret file read as is, e.g. a Kubernetes secret made with
    /// --from-file) or surrounding spaces can never be sent: HTTP trims header values, and so does the token check.
    /// It used to be accepted, and then every admin verb answered 403 "wrong admin token" to the right token.</summary>
    [Theory(Timeout = 10_000)]
    [InlineData("akkarepl.security.admin-token = \"token-from-a-secret-file-0123\\n\"")]
    [InlineData("akkarepl.security.admin-token = \" token-with-a-leading-space-0123\"")]
    [InlineData("akkarepl.security.admin-token = \"                    \"")]
    public async Task An_admin_token_that_http_cannot_carry_is_refused_naming_the_key(string setting)
    {
        await Task.Yield();
        var error = Assert.Throws<ConfigException>(() => NodeConfigLoader.Load(null, [setting], None, None));
        Assert.Contains("akkarepl.security.admin-token has whitespace or control characters at its start or end", error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_plain_admin_token_is_accepted()
    {
        await Task.Yield();
        Assert.Equal("token-of-sixteen-or-more", NodeConfigLoader.Load(null, ["akkarepl.security.admin-token = token-of-sixteen-or-more"], None, None).Security.AdminToken);
    }
}
