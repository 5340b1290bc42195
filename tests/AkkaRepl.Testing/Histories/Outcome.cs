namespace AkkaRepl.Testing.Histories;

/// <summary>What the client learned about an <see cref="Operation"/>.</summary>
public enum Outcome
{
    /// <summary>Acknowledged: it took effect, with the recorded result.</summary>
    Ok,

    /// <summary>Definitely did not take effect (an error that guarantees no change, or an aborted transaction).</summary>
    Fail,

    /// <summary>Timed out or the connection broke: it may or may not have taken effect, at any time after its invocation.</summary>
    Unknown,
}
