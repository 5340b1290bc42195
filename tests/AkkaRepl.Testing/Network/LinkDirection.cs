namespace AkkaRepl.Testing.Network;

/// <summary>One direction of a proxied TCP link.</summary>
public enum LinkDirection
{
    /// <summary>From the side that connected (the proxy's client) to the target.</summary>
    ToTarget,

    /// <summary>From the target back to the side that connected.</summary>
    FromTarget,
}
