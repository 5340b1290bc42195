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

    /// <summary>INFO text (<c># Section\r\nkey:value\r\n...</c>) for the sections the node owns: server (with
    /// <c>redis_version</c> and <c>redis_mode</c>, which clients read), replication (with <c>role</c>) and
    /// persistence. <paramref name="section"/> is lower case, or null for the default set; an unknown section
    /// gives the empty string. The RESP layer adds the clients and keyspace sections.</summary>
    string GetInfo(string? section);
}
