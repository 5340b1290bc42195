using AkkaRepl.Core.Ids;
using AkkaRepl.Wal.Writing;

namespace AkkaRepl.Wal;

/// <summary>
/// An append that its caller owns and may reuse (pool) once it completed: the allocation-free form of
/// <see cref="WalWriter.AppendAsync"/>. Set the record with <see cref="SetRecord"/>, hand it to
/// <see cref="WalWriter.Append"/>, and the writer's loop calls exactly one of <see cref="OnDurable"/> or
/// <see cref="OnFailed"/>, on its own thread: keep them short and never block in them.
/// <para>Before <see cref="OnDurable"/>, the writer's <see cref="IWalFlushListener"/> (if any) was shown the record.</para>
/// <para>To continue off the loop's thread, hand the work to <see cref="WalCompletions.Run"/>: the completions of one
/// group commit then share one thread-pool work item.</para>
/// </summary>
public abstract class WalAppendRequest
{
    protected WalAppendRequest() => Command = new AppendCommand(this);

    internal AppendCommand Command { get; }

    public Generation Generation { get; private set; }
    public WalRecordKind Kind { get; private set; }
    /// <summary>Must not change until the request completed.</summary>
    public ReadOnlyMemory<byte> Payload { get; private set; }

    protected void SetRecord(Generation generation, WalRecordKind kind, ReadOnlyMemory<byte> payload)
    {
        Generation = generation;
        Kind = kind;
        Payload = payload;
    }

    /// <summary>The record (and every one before it) is durable. Called on the writer's loop thread.</summary>
    protected internal abstract void OnDurable(WalAppendResult result);

    /// <summary>The record was not written (invalid, or the storage failed). Called on the writer's loop thread, or the caller's.</summary>
    protected internal abstract void OnFailed(Exception error);
}

/// <summary>
/// Shown, on the WAL writer's loop thread, the appends of each group commit right after their fdatasync returned
/// and before their requests are completed (the primary applies its own records there, without a hop).
/// </summary>
public interface IWalFlushListener
{
    /// <param name="appends">The batch's appends in LSN order.</param>
    /// <param name="complete">True when they are every record of the batch, back to back from the first one's LSN
    /// (false when the batch also held records appended in encoded form).</param>
    void OnFlushed(ReadOnlySpan<WalFlushedAppend> appends, bool complete);
}

/// <summary>One append of a flushed batch: its record (the payload is the appender's memory, valid during the
/// call) and its request, when it was appended through <see cref="WalWriter.Append"/>.</summary>
public readonly record struct WalFlushedAppend(WalRecord Record, WalAppendRequest? Request);
