namespace AkkaRepl.MultiNode.Tests;

/// <summary>
/// Specs of static roles and manual promotion (<c>akkarepl promote</c>, <c>follow</c>) switch automatic failover off:
/// with it on, the replicas would elect a primary on their own about a second after the old one fails (or before a
/// primary that starts late has started), racing the spec's own promotion. Automatic failover has its own specs
/// (<see cref="AutomaticFailoverSpec"/>). <c>ReadSpec</c> uses it too: it checks what replicas answer, and on this
/// shared 2-core machine under a full test run a primary can lose its lease (late heartbeat acknowledgements) and
/// be replaced mid-spec, which is failover's business, not the read path's.
/// </summary>
internal static class ManualPromotion
{
    public const string Setting = "akkarepl.election.enabled = off";
}
