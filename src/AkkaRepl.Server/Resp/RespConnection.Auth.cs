using System.Net;
using AkkaRepl.Server.Security;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Resp;

/// <summary>Authentication of one connection: AUTH, HELLO's AUTH option, the NOAUTH gate and read-only users.</summary>
internal sealed partial class RespConnection
{
    private static readonly KvReply NoAuthReply = KvReply.Error(RespAuthenticator.NoAuth);
    private const string HelloNoAuth =
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> " +
        "option can be used to authenticate the client and select the RESP protocol version at the same time";

    // The logged-in user; null until AUTH succeeds when users are configured. Reader loop only.
    private RespUser? _user;

    private IPAddress? RemoteAddress => (_socket.RemoteEndPoint as IPEndPoint)?.Address;

    /// <summary>Null when the command may run now; else its reply (AUTH's own reply, NOAUTH, NOPERM).</summary>
    private KvReply? CheckAccess(List<ReadOnlyMemory<byte>> argv, KvCommandInfo? info)
    {
        if (info?.Name == "auth") return Auth(argv);
        if (_user is null) return info?.Name is "hello" or "quit" ? null : NoAuthReply;
        if (_user.ReadOnly && info is { IsWrite: true })
        {
            if (_inMulti) _multiDirty = true; // as Redis: a refused command inside MULTI makes EXEC abort
            return KvReply.Error(RespAuthenticator.NoPermission(_user, info.Name));
        }
        return null;
    }

    /// <summary><c>AUTH password</c> (as the default user) or <c>AUTH user password</c>.</summary>
    private KvReply Auth(List<ReadOnlyMemory<byte>> argv)
    {
        if (argv.Count < 2) return KvReply.Error("ERR wrong number of arguments for 'auth' command");
        if (argv.Count > 3) return KvReply.Error("ERR syntax error");
        var name = argv.Count == 3 ? RespAuthenticator.Name(argv[1].Span) : null;
        return Login(name, argv[^1]) ?? KvReply.Ok;
    }

    /// <summary>HELLO's access rule: with AUTH, log in first; without, the connection must be logged in already.</summary>
    private KvReply? HelloAccess(string? name, ReadOnlyMemory<byte>? password)
    {
        if (password is { } secret) return Login(name, secret);
        return _user is null ? KvReply.Error(HelloNoAuth) : null;
    }

    /// <summary>Null on success (the connection is now that user); else the error reply. A failure keeps the
    /// connection's earlier login, as in Redis.</summary>
    private KvReply? Login(string? name, ReadOnlyMemory<byte> password)
    {
        var (user, error) = _server.Authenticator.Authenticate(name, password.Span, RemoteAddress);
        if (user is null)
        {
            LogAuthFailed(_logger, Id, Remote, name ?? RespAuthenticator.DefaultUser, error!);
            return KvReply.Error(error!);
        }
        _user = user;
        return null;
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "RESP connection {Id} from {Remote}: AUTH as '{User}' refused: {Error}")]
    private static partial void LogAuthFailed(Microsoft.Extensions.Logging.ILogger logger, long id, string remote, string user, string error);
}
