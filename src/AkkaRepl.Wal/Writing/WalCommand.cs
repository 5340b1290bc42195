using AkkaRepl.Core.Components;
using AkkaRepl.Core.Ids;

namespace AkkaRepl.Wal.Writing;

/// <summary>
/// The closed set of messages the <see cref="WalWriter"/> loop handles (its input manifest). Each is sent
/// by a caller of the writer's public API and replied to through its completion source: a result once
/// durable, or the error.
/// </summary>
internal abstract class WalCommand : IReplyable
{
    public abstract void Fail(Exception error);
}

/// <summary>AppendAsync: one record to encode at the log's end. Reply: its <see cref="WalAppendResult"/> once durable.
/// A <see cref="WalAppendRequest"/> (a caller's own, reusable object) travels in it without a completion source.</summary>
internal sealed class AppendCommand : WalCommand
{
    private readonly TaskCompletionSource<WalAppendResult>? _reply;
    private readonly Generation _generation;
    private readonly WalRecordKind _kind;
    private readonly ReadOnlyMemory<byte> _payload;

    public AppendCommand(Generation generation, WalRecordKind kind, ReadOnlyMemory<byte> payload)
    {
        _generation = generation;
        _kind = kind;
        _payload = payload;
        _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The reusable command of a request: created once with it, it reads the request's current record.</summary>
    public AppendCommand(WalAppendRequest request) => Request = request;

    public Generation Generation => Request?.Generation ?? _generation;
    public WalRecordKind Kind => Request?.Kind ?? _kind;
    public ReadOnlyMemory<byte> Payload => Request?.Payload ?? _payload;
    public WalAppendRequest? Request { get; }
    public Task<WalAppendResult> Reply => _reply!.Task;

    public void Durable(WalAppendResult result)
    {
        if (Request is { } request) request.OnDurable(result);
        else _reply!.TrySetResult(result);
    }

    public override void Fail(Exception error)
    {
        if (Request is { } request) request.OnFailed(error);
        else _reply!.TrySetException(error);
    }
}

/// <summary>AppendEncodedAsync (replica side): records encoded by the primary, to be written as they are.
/// Reply: the new end LSN once durable.</summary>
internal sealed class AppendEncodedCommand(ReadOnlyMemory<byte> records, Lsn expectedStart) : WalCommand
{
    public ReadOnlyMemory<byte> Records { get; } = records;
    public Lsn ExpectedStart { get; } = expectedStart;
    public TaskCompletionSource<Lsn> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public override void Fail(Exception error) => Reply.TrySetException(error);
}

/// <summary>TruncateAfterAsync: cut the log back to a record boundary. Reply: the removed records, once the cut is durable.</summary>
internal sealed class TruncateCommand(Lsn lsn) : WalCommand
{
    public Lsn Lsn { get; } = lsn;
    public TaskCompletionSource<IReadOnlyList<WalRecord>> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public override void Fail(Exception error) => Reply.TrySetException(error);
}

/// <summary>ResetAsync: drop the whole log and start an empty one at a given LSN (a replica rebuilt from a
/// snapshot taken there). Reply: completion, once the new empty segment is durable.</summary>
internal sealed class ResetCommand(Lsn start, Generation generation) : WalCommand
{
    public Lsn Start { get; } = start;
    public Generation Generation { get; } = generation;
    public TaskCompletionSource<bool> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public override void Fail(Exception error) => Reply.TrySetException(error);
}
