using AkkaRepl.Core.Errors;

namespace AkkaRepl.Replication.Primary;

/// <summary>
/// The write is in the primary's log (and applied there), but the durability it asked for was not reached in
/// time and the policy is <c>fail</c>. It may still reach its replicas later; it may also be lost in a failover.
/// </summary>
public sealed class DurabilityNotReachedException(WriteReceipt receipt, TimeSpan waited)
    : AkkaReplException($"durability {receipt.Requested} was not reached within {waited.TotalMilliseconds:F0} ms: the write is durable on the primary only ({receipt})")
{
    public WriteReceipt Receipt { get; } = receipt;
}
