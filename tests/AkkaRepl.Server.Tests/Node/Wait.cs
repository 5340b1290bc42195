using AkkaRepl.Testing.Waits;

namespace AkkaRepl.Server.Tests.Node;

/// <summary>Condition waits for in-process node tests, on the harness's <see cref="Eventually"/> (backoff, a message on timeout).</summary>
internal static class Wait
{
    public static Task Until(Func<bool> condition, string what, int timeoutMs = 20_000) =>
        Eventually.WaitAsync(condition, TimeSpan.FromMilliseconds(timeoutMs), what);
}
