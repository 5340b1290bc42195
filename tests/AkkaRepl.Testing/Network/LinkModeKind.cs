namespace AkkaRepl.Testing.Network;

/// <summary>What a <see cref="FaultProxy"/> does with the bytes of one direction of a link.</summary>
public enum LinkModeKind
{
    /// <summary>Bytes flow through unchanged.</summary>
    Pass,

    /// <summary>Bytes are read and held in order; nothing is delivered; connections stay open.</summary>
    Blackhole,

    /// <summary>Every current connection is reset and new ones are reset as soon as they are accepted.</summary>
    Drop,

    /// <summary>Each chunk is delivered no earlier than a fixed time after it was read.</summary>
    Delay,

    /// <summary>Bytes are delivered at no more than a fixed rate.</summary>
    Throttle,
}
