using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Resp;

/// <summary>
/// What the RESP endpoint needs from its node; the endpoint talks to the node only through this.
/// </summary>
public interface IKvBackend
{
    /// <summary>The applied state; reads run against it directly.</summary>
    KvStore Store { get; }

    /// <summary>False on a replica: writes then answer <c>-READONLY You can't write against a read only replica.</c></summary>
    bool AcceptsWrites { get; }

    /// <summary>Logs <paramref name="payload"/> (made by <see cref="KvStore.EncodeCommand"/> or
    /// <see cref="KvStore.EncodeTransaction"/>) durably, applies it and returns the store's reply.
    /// Contract: the task completes only after the write is applied to <see cref="Store"/> (a later read on the
    /// same connection waits for it and must see it), and calls are logged in the order they are made: one
    /// connection issues its pipelined writes back to back without waiting, and relies on that order. An exception's
    /// message goes to the client as an error: one starting with an upper-case code and a space (<c>MOVED ...</c>,
    /// <c>READONLY ...</c>) as it is, any other prefixed with <c>ERR</c>.</summary>
    ValueTask<KvReply> WriteAsync(ReadOnlyMemory<byte> payload, CancellationToken ct);

    /// <summary>As <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>, with the connection's session: the
    /// write asks for <see cref="RespSession.Durability"/>, and the node records its LSN with
    /// <see cref="RespSession.WriteAcknowledged"/>.</summary>
    ValueTask<KvReply> WriteAsync(ReadOnlyMemory<byte> payload, RespSession session, CancellationToken ct) => WriteAsync(payload, ct);

    /// <summary>The RESP event loop issued a burst of writes: a group commit still waiting for more appends may go.
    /// True when the loop should wait for that commit: <paramref name="committed"/> is then called once the burst is
    /// durable locally (replicas are not waited for). False: nothing to wait for.</summary>
    bool WritesDispatched(Action committed) => false;

    /// <summary>The event loop stopped waiting for its burst (its gate limit passed).</summary>
    void StopWaitingForWrites() { }

    /// <summary>Whether a write at <paramref name="level"/> waits for replicas on this node (then the event loop's gate,
    /// which waits for the local flush only, does not hold the loop for it).</summary>
    bool WaitsForReplicas(AkkaRepl.Replication.Primary.Durability level) => false;

    /// <summary>The <c>ROLE</c> reply, as Redis gives it for a master or a replica.</summary>
    KvReply Role() => KvReply.FromArray([KvReply.FromString(AcceptsWrites ? "master" : "slave"), KvReply.Zero, KvReply.EmptyArray]);

    /// <summary>Checks a durability level for <c>DURABILITY</c>: null when this node can meet it, else the error.</summary>
    KvReply? CheckDurability(AkkaRepl.Replication.Primary.Durability level) => null;

    /// <summary>The durability writes ask for when the connection has not chosen one.</summary>
    AkkaRepl.Replication.Primary.Durability DefaultDurability => AkkaRepl.Replication.Primary.Durability.Local;

    /// <summary><c>WAIT</c>: waits until <paramref name="replicas"/> replicas flushed <paramref name="lsn"/> or the
    /// timeout passes (null: no timeout); returns how many replicas hold it then.</summary>
    Task<long> WaitForReplicasAsync(ulong lsn, int replicas, TimeSpan? timeout, CancellationToken ct) => Task.FromResult(0L);

    /// <summary>INFO text (<c># Section\r\nkey:value\r\n...</c>) for the sections the node owns: server (with
    /// <c>redis_version</c> and <c>redis_mode</c>, which clients read), replication (with <c>role</c>) and
    /// persistence. <paramref name="section"/> is lower case, or null for the default set; an unknown section
    /// gives the empty string. The RESP layer adds the clients and keyspace sections.</summary>
    string GetInfo(string? section);

    /// <summary>Decides reads with a consistency level (<c>CONSISTENCY</c>); null: every read is served as it comes
    /// (a single in-memory store is trivially fresh).</summary>
    Reads.IReadGate? Reads => null;
}
