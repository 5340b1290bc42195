using AkkaRepl.Core.Errors;

namespace AkkaRepl.Replication.Protocol;

/// <summary>A peer sent something the protocol does not allow; the link is closed and nothing from it is written.</summary>
public sealed class ProtocolException(string message) : AkkaReplException(message);
