using System.Reflection;
using AkkaRepl.Wal;

namespace AkkaRepl.Server.Tests.Node;

/// <summary>Holds a node's WAL at its fdatasync or its writes, through the WAL's internal fault hook.</summary>
internal static class WalHooks
{
    /// <summary>Every <paramref name="op"/> ("sync" or "write") of the WAL for which <paramref name="when"/> holds tells
    /// <paramref name="entered"/> and waits for <paramref name="gate"/>.</summary>
    public static void Hold(WalWriter wal, string op, TaskCompletionSource entered, Task gate, Func<bool>? when = null)
    {
        var hook = typeof(WalWriter).GetProperty("InjectFault", BindingFlags.Instance | BindingFlags.NonPublic)!;
        hook.SetValue(wal, new Func<string, int>(o =>
        {
            if (o == op && (when?.Invoke() ?? true)) { entered.TrySetResult(); gate.Wait(); }
            return 0;
        }));
    }
}
