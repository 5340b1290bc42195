namespace AkkaRepl.Core.Options;

/// <summary>What happens to a write whose durability level is not reached within its timeout.</summary>
public enum DurabilityTimeoutPolicy
{
    /// <summary>Keep waiting; the client sees a slow write, never a weaker one. The safe default.</summary>
    Block,
    /// <summary>Answer with the durability reached (at least local), raise an alert and count the time spent degraded.</summary>
    Degrade,
    /// <summary>Answer with an error that says the write is durable on the primary only.</summary>
    Fail,
}
