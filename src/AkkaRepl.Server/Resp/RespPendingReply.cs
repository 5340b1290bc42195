using System.Runtime.CompilerServices;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Resp;

/// <summary>
/// The reply of one request that the node answers later (a logged write, a transaction, WAIT): it awaits the backend's
/// <see cref="ValueTask{TResult}"/> exactly once (the write path's tasks are pooled and may be awaited only once), keeps
/// the reply, and tells its connection, which writes it when every earlier reply is out.
/// <para>Pooled per connection: the continuation delegate is made once per object, so a write allocates nothing here.
/// Reused only after the connection has written the reply (<see cref="IsDone"/> is set last by the completion).</para>
/// </summary>
internal sealed class RespPendingReply
{
    private readonly RespConnection _owner;
    private readonly Action _onCompleted;
    private ConfiguredValueTaskAwaitable<KvReply>.ConfiguredValueTaskAwaiter _awaiter;
    private Func<KvReply, KvReply>? _map;
    private bool _isWrite;
    private volatile bool _done;

    public RespPendingReply(RespConnection owner)
    {
        _owner = owner;
        _onCompleted = OnCompleted;
    }

    /// <summary>True once <see cref="Reply"/> is set; the completion does not touch this object after setting it.</summary>
    public bool IsDone => _done;

    /// <summary>The reply, valid once <see cref="IsDone"/>.</summary>
    public KvReply? Reply { get; private set; }

    /// <summary>Starts waiting for <paramref name="pending"/>; <paramref name="map"/> reshapes a non-error reply (EXEC).
    /// <paramref name="isWrite"/>: a write of this connection, which later reads of the connection wait for.</summary>
    public void Start(ValueTask<KvReply> pending, Func<KvReply, KvReply>? map, bool isWrite)
    {
        _map = map;
        _isWrite = isWrite;
        _done = false;
        Reply = null;
        _awaiter = pending.ConfigureAwait(false).GetAwaiter();
        if (_awaiter.IsCompleted)
        {
            Complete(inline: true);
            return;
        }
        _owner.PendingStarted();
        // The continuation runs where the write completes (the write path's own hop to the thread pool): no extra hop.
        _awaiter.UnsafeOnCompleted(_onCompleted);
    }

    private void OnCompleted() => Complete(inline: false);

    private void Complete(bool inline)
    {
        KvReply reply;
        try { reply = _awaiter.GetResult(); }
        catch (Exception e) { reply = KvReply.Error(RespConnection.ErrorText(e)); }
        _awaiter = default;
        if (_map is not null && !reply.IsError) reply = _map(reply);
        _map = null;
        Reply = reply;
        var isWrite = _isWrite;
        _done = true; // the last write to this object: the connection may write and reuse it from here on
        _owner.PendingCompleted(isWrite, inline);
    }
}
