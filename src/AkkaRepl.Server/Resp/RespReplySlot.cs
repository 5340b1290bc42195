using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Resp;

/// <summary>
/// One reply in a connection's reply queue, in request order: ready now (<see cref="Ready"/>), or answered later by the
/// node (<see cref="Pending"/>). <see cref="Protocol"/> is the protocol in force when the request was read;
/// <see cref="Close"/> ends the connection after this reply (QUIT, protocol error).
/// </summary>
internal readonly record struct RespReplySlot(KvReply? Ready, RespPendingReply? Pending, int Protocol, bool Close);
