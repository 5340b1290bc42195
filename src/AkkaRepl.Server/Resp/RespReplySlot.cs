using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Resp;

/// <summary>
/// One reply in a connection's reply queue, in request order: ready now, or the pending result of a logged
/// write (optionally reshaped by <see cref="Map"/>, e.g. EXEC merging connection-command replies).
/// <see cref="Protocol"/> is the protocol in force when the request was read; <see cref="Close"/> ends the
/// connection after this reply (QUIT, protocol error).
/// </summary>
internal readonly record struct RespReplySlot(
    KvReply? Ready, Task<KvReply>? Pending, Func<KvReply, KvReply>? Map, int Protocol, bool Close);
