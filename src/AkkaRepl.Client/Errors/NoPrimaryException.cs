namespace AkkaRepl.Client.Errors;

/// <summary>No reachable node said it is the primary within the failover timeout. Nothing was written; retrying later is safe.</summary>
public sealed class NoPrimaryException(string message, Exception? inner = null) : AkkaReplClientException(message, inner);
