namespace AkkaRepl.Client.Errors;

/// <summary>A read, or a write that was never sent, did not finish within the operation timeout. Nothing was changed.</summary>
public sealed class OperationTimedOutException(string message, Exception? inner = null) : AkkaReplClientException(message, inner);
