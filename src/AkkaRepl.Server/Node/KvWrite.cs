using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using AkkaRepl.Replication.Primary;
using AkkaRepl.Server.Resp;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Node;

/// <summary>
/// One client write in flight through <see cref="KvBackend"/>: awaits the write path's pooled task once, turns the
/// receipt into the client's reply, and is itself the <see cref="IValueTaskSource{TResult}"/> the RESP connection awaits
/// (once). Pooled by its backend; returned to the pool when the reply is taken.
/// </summary>
internal sealed class KvWrite : IValueTaskSource<KvReply>
{
    private readonly KvBackend _backend;
    private readonly Action _onCompleted;
    // Continuations run where the write completes (the write path already hopped off the WAL thread): no second hop.
    private ManualResetValueTaskSourceCore<KvReply> _core;
    private ConfiguredValueTaskAwaitable<WriteOutcome>.ConfiguredValueTaskAwaiter _awaiter;
    private RespSession? _session;
    private long _started;

    public KvWrite(KvBackend backend)
    {
        _backend = backend;
        _onCompleted = OnCompleted;
    }

    public ValueTask<KvReply> Start(ValueTask<WriteOutcome> pending, RespSession? session, long started)
    {
        _session = session;
        _started = started;
        _awaiter = pending.ConfigureAwait(false).GetAwaiter();
        var task = new ValueTask<KvReply>(this, _core.Version);
        _awaiter.UnsafeOnCompleted(_onCompleted);
        return task;
    }

    private void OnCompleted()
    {
        KvReply? reply;
        Exception? error = null;
        try { reply = _backend.Answer(_awaiter.GetResult(), _session, _started); }
        catch (Exception e)
        {
            reply = _backend.Refused(e, _started);
            if (reply is null) error = e;
        }
        _awaiter = default;
        _session = null;
        if (error is not null) _core.SetException(error);
        else _core.SetResult(reply!);
    }

    public KvReply GetResult(short token)
    {
        try { return _core.GetResult(token); }
        finally
        {
            _core.Reset();
            _backend.Return(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
