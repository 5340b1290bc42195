namespace AkkaRepl.Client.Errors;

/// <summary>No reachable node fits the read preference (e.g. <c>Replica</c> with every replica down). Retrying later is safe.</summary>
public sealed class NoEligibleNodeException(string message) : AkkaReplClientException(message);
