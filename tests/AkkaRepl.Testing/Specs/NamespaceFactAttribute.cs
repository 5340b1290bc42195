using AkkaRepl.Testing.Network;
using Xunit;

namespace AkkaRepl.Testing.Specs;

/// <summary>
/// A fact that runs its nodes in network namespaces (<see cref="NamespaceNetwork"/>): root on Linux with iproute2,
/// as CI has. xunit 2 cannot skip from inside a test, so the probe runs at discovery and a machine without
/// namespaces reports the test as skipped with the reason.
/// </summary>
public sealed class NamespaceFactAttribute : FactAttribute
{
    public NamespaceFactAttribute()
    {
        if (NamespaceNetwork.UnavailableReason is { } reason)
            Skip = reason;
    }
}
