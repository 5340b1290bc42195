namespace AkkaRepl.Client.Errors;

/// <summary>Base of every failure the client reports; the subclass says which kind and what the caller may do.</summary>
public abstract class AkkaReplClientException(string message, Exception? inner = null) : Exception(message, inner);
