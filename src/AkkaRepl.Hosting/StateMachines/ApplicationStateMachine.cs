using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Storage.StateMachine;

namespace AkkaRepl.Hosting.StateMachines;

/// <summary>
/// Wraps the application's machine: decodes its commands, passes the log's commit timestamp, and guards it with a
/// reader-writer lock so reads never see half of a command. A <see cref="CommandRejectedException"/> from apply is a
/// deterministic refusal and becomes the writer's reply; any other exception escapes and stops the applier.
/// </summary>
internal sealed class ApplicationStateMachine<TMachine, TCommand>(TMachine machine) : IApplicationState
    where TMachine : class, IReplicatedStateMachine<TCommand>
    where TCommand : class
{
    private static readonly IReadOnlyDictionary<string, Type> Types = CommandCodec.CommandTypes<TCommand>();
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private ulong _applied; // written only by the apply loop, under the write lock

    public Lsn AppliedLsn => new(Volatile.Read(ref _applied));

    public object? Apply(in CommittedEntry entry)
    {
        var command = (TCommand)CommandCodec.Decode(entry.Payload, Types);
        var context = new ApplyContext(entry.Generation, entry.Lsn, entry.EndLsn,
            DateTimeOffset.UnixEpoch.AddTicks(entry.CommitTimestampMicros * 10));
        _lock.EnterWriteLock();
        try
        {
            try { return machine.Apply(command, context); }
            catch (CommandRejectedException rejected) { return rejected; }
            finally { Volatile.Write(ref _applied, entry.EndLsn.Value); }
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>Runs <paramref name="read"/> under the read lock; also returns the LSN the state was at.</summary>
    public (T Value, Lsn At) Read<T>(Func<TMachine, T> read)
    {
        _lock.EnterReadLock();
        try { return (read(machine), AppliedLsn); }
        finally { _lock.ExitReadLock(); }
    }

    public byte[] Capture()
    {
        _lock.EnterReadLock();
        try
        {
            using var buffer = new MemoryStream();
            machine.WriteSnapshot(buffer);
            return buffer.ToArray();
        }
        finally { _lock.ExitReadLock(); }
    }

    public void Restore(Stream source, Lsn lsn)
    {
        _lock.EnterWriteLock();
        try
        {
            machine.ReadSnapshot(source);
            Volatile.Write(ref _applied, lsn.Value);
        }
        finally { _lock.ExitWriteLock(); }
    }

    public void NotifyRole(NodeRole role) => machine.OnRoleChanged(role);

    public object DecodeCommand(ReadOnlyMemory<byte> payload) => CommandCodec.Decode(payload, Types);
}
