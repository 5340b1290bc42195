namespace AkkaRepl.MultiNode.Tests;

/// <summary>
/// Specs of static roles and manual promotion (<c>akkarepl promote</c>, <c>follow</c>) switch automatic failover off:
/// with it on, the replicas would elect a primary on their own about a second after the old one fails (or before a
/// primary that starts late has started), racing the spec's own promotion. Automatic failover has its own specs
/// (<see cref="AutomaticFailoverSpec"/>).
/// </summary>
internal static class ManualPromotion
{
    public const string Setting = "akkarepl.election.enabled = off";
}
