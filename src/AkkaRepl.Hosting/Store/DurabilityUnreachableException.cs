using AkkaRepl.Core.Errors;

namespace AkkaRepl.Hosting.Store;

/// <summary>A write asked for a durability the cluster can never give (more replicas than it has). Nothing was written.</summary>
public sealed class DurabilityUnreachableException(string message) : AkkaReplException(message);
