namespace AkkaRepl.Client.Errors;

/// <summary>Every node tried refused the read at its consistency level (the last <c>TRYAGAIN</c> is the message) until the
/// operation timed out. Reads change nothing: retrying, or a weaker level, is safe.</summary>
public sealed class ReadRefusedException(string message) : AkkaReplClientException(message);
