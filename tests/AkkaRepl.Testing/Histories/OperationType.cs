namespace AkkaRepl.Testing.Histories;

/// <summary>What an <see cref="Operation"/> did to its key.</summary>
public enum OperationType
{
    /// <summary>SET key value.</summary>
    Write,

    /// <summary>GET key; the result is the value read (null for nil).</summary>
    Read,

    /// <summary>INCR key; the result is the new value.</summary>
    Increment,

    /// <summary>Compare-and-set: set key to Value if it holds Expected (null = absent); the result is "true" or "false".</summary>
    Cas,
}
