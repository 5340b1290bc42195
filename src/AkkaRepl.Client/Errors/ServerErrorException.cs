namespace AkkaRepl.Client.Errors;

/// <summary>The server answered the command with an error that is about the command itself (wrong type, syntax,
/// arity...): retrying it unchanged gives the same answer.</summary>
public sealed class ServerErrorException(string message) : AkkaReplClientException(message);
