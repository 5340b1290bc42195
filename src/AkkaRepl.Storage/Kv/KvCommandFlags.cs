namespace AkkaRepl.Storage.Kv;

/// <summary>What a command is, for routing: exactly one of the first four is set.</summary>
[Flags]
public enum KvCommandFlags
{
    /// <summary>No flag (not used by any command in the table).</summary>
    None = 0,
    /// <summary>Changes state: logged through the WAL, refused on a replica.</summary>
    Write = 1,
    /// <summary>Reads applied state only: answered by <see cref="KvStore.ExecuteRead"/> on any node.</summary>
    ReadOnly = 2,
    /// <summary>Handled by the protocol layer (PING, HELLO, CLIENT...), never reaches the store.</summary>
    Connection = 4,
    /// <summary>MULTI, EXEC, DISCARD, WATCH, UNWATCH: handled by the protocol layer, never queued.</summary>
    Transaction = 8,
    /// <summary>O(1) command (reported as "fast" in COMMAND).</summary>
    Fast = 16,
}
