namespace AkkaRepl.Wal.Tests.Support;

/// <summary>
/// A fact that needs a mountable tmpfs (root with mount rights, as CI has). xunit 2 cannot skip from inside
/// a test, so the probe runs at discovery: when mounting fails, the test is reported as skipped with the reason.
/// </summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(() =>
    {
        using var probe = Tmpfs.TryMount(1024 * 1024, out var reason);
        return probe is null ? reason : null;
    });

    public TmpfsFactAttribute()
    {
        if (Unavailable.Value is { } reason) Skip = reason;
    }
}
