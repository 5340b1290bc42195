using AkkaRepl.Core.Options;
using AkkaRepl.Server.Security;

namespace AkkaRepl.Server.Tests.Security;

/// <summary>Users for tests; hashes use few iterations so tests stay fast (the format carries the count).</summary>
internal static class TestUsers
{
    public static readonly string DefaultHash = PasswordHash.Create("s3cret-default", 1000);
    public static readonly string WriterHash = PasswordHash.Create("writer-pass", 1000);
    public static readonly string ReaderHash = PasswordHash.Create("reader-pass", 1000);

    public static SecurityOptions Options(int failuresPerMinute = 10) => new()
    {
        Users =
        [
            new RespUserOptions { Name = "default", PasswordHash = DefaultHash },
            new RespUserOptions { Name = "writer", PasswordHash = WriterHash },
            new RespUserOptions { Name = "reader", PasswordHash = ReaderHash, ReadOnly = true },
        ],
        AuthFailuresPerMinute = failuresPerMinute,
    };

    public static RespAuthenticator Authenticator(TimeProvider? time = null, int failuresPerMinute = 10) =>
        new(Options(failuresPerMinute), time ?? TimeProvider.System);
}
