using AkkaRepl.Core.Errors;

namespace AkkaRepl.Hosting.Node;

/// <summary>The embedded node is not running: the host has not started it yet, it failed to start, or it stopped.</summary>
public sealed class NodeNotRunningException(string message) : AkkaReplException(message);
