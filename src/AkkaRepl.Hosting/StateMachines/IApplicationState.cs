using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Storage.StateMachine;

namespace AkkaRepl.Hosting.StateMachines;

/// <summary>The runtime's side of an application state machine, without its type parameters.</summary>
internal interface IApplicationState
{
    /// <summary>End LSN of the last application command applied.</summary>
    Lsn AppliedLsn { get; }
    object? Apply(in CommittedEntry entry);
    byte[] Capture();
    void Restore(Stream source, Lsn lsn);
    void NotifyRole(NodeRole role);
    /// <summary>Decodes a command payload of this machine (for the change feed).</summary>
    object DecodeCommand(ReadOnlyMemory<byte> payload);
}
