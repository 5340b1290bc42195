using AkkaRepl.Client.Resp;

namespace AkkaRepl.Client.Writes;

/// <summary>A committed write: its identity, the reply, the primary that took it, and its end LSN (the read-your-writes
/// token) when the client asked for it (sessions do), else null.</summary>
public sealed record WriteResult(WriteId Id, RespValue Reply, string Node, ulong? Lsn);
