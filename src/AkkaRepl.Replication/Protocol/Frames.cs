using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Cluster;

namespace AkkaRepl.Replication.Protocol;

/// <summary>
/// A message on a replication link. Byte layouts are in docs/protocol.md; every frame after the handshake
/// carries the sender's generation so a receiver drops stale ones first thing (G3).
/// </summary>
public abstract record Frame
{
    public abstract FrameType Type { get; }
}

/// <summary>Frame type bytes. Values are part of the wire format: never reuse one.</summary>
public enum FrameType : byte
{
    Hello = 1,
    Welcome = 2,
    Refuse = 3,
    Records = 4,
    Ack = 5,
    Heartbeat = 6,
    SnapshotBegin = 7,
    SnapshotChunk = 8,
    SnapshotEnd = 9,
    ArchiveHint = 10,
    ReadIndex = 30,
    ReadIndexAck = 31,
    Control = 11,
}

/// <summary>
/// Replica to upstream, first frame of a connection: who I am, the highest generation I have seen, where my
/// log ends and which generations it holds (so the upstream can find our common point). Reply: Welcome or Refuse.
/// </summary>
public sealed record HelloFrame(ushort ProtocolVersion, string ClusterId, NodeId NodeId, Generation HighestGeneration,
    Lsn FlushedLsn, IReadOnlyList<GenerationStart> History, bool WantsRebuild = false, bool ReadsArchive = false) : Frame
{
    public override FrameType Type => FrameType.Hello;

    public bool Equals(HelloFrame? other) =>
        other is not null && ProtocolVersion == other.ProtocolVersion && ClusterId == other.ClusterId && NodeId == other.NodeId
        && HighestGeneration == other.HighestGeneration && FlushedLsn == other.FlushedLsn && History.SequenceEqual(other.History)
        && WantsRebuild == other.WantsRebuild && ReadsArchive == other.ReadsArchive;

    public override int GetHashCode() => HashCode.Combine(NodeId, HighestGeneration, FlushedLsn, History.Count);
}

/// <summary>How the upstream will bring a connecting replica up to date.</summary>
public enum CatchUpMode : byte
{
    /// <summary>Stream records from <see cref="WelcomeFrame.StartLsn"/>; the replica first truncates anything after it.</summary>
    Stream = 0,
    /// <summary>The log the replica needs is no longer retained: rebuild from a snapshot.</summary>
    Rebuild = 1,
    /// <summary>The log the replica needs is no longer retained here, but may be in the WAL archive: read it from
    /// there (an ArchiveHint follows, then the upstream closes), then connect again.</summary>
    FromArchive = 2,
}

/// <summary>Upstream to replica, answer to Hello: the upstream's identity and generation, and where streaming starts.</summary>
public sealed record WelcomeFrame(ushort ProtocolVersion, string ClusterId, NodeId NodeId, Generation Generation,
    Lsn StartLsn, CatchUpMode Mode) : Frame
{
    public override FrameType Type => FrameType.Welcome;
}

/// <summary>Why a handshake was refused. Values are part of the wire format.</summary>
public enum RefuseReason : ushort
{
    ProtocolVersion = 1,
    ClusterId = 2,
    NotUpstream = 3,
    StaleGeneration = 4,
    NotMember = 5,
}

/// <summary>Either side, instead of Welcome or before closing: the link is refused, and why (in words for the log).</summary>
public sealed record RefuseFrame(RefuseReason Reason, string Message) : Frame
{
    public override FrameType Type => FrameType.Refuse;
}

/// <summary>
/// Upstream to replica: WAL records exactly as encoded in the upstream's log, starting at <see cref="StartLsn"/>
/// (contiguous with what was sent before), plus the upstream's commit position. Reply: Ack after the flush.
/// </summary>
public sealed record RecordsFrame(Generation Generation, Lsn StartLsn, Lsn CommitLsn, ReadOnlyMemory<byte> EncodedRecords) : Frame
{
    public override FrameType Type => FrameType.Records;
    public Lsn EndLsn => StartLsn + (ulong)EncodedRecords.Length;

    /// <summary>Set by the decoder: the pooled array under <see cref="EncodedRecords"/>, returned by <see cref="Release"/>.</summary>
    internal byte[]? Pooled { get => _pooled; init => _pooled = value; }
    private byte[]? _pooled;

    /// <summary>Returns a decoded frame's bytes to the pool (once the WAL has copied them); the frame must not be read
    /// after. Without a call the array is simply left to the GC. No-op for a frame built by the sender.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _pooled, null) is { } array) System.Buffers.ArrayPool<byte>.Shared.Return(array);
    }

    public bool Equals(RecordsFrame? other) =>
        other is not null && Generation == other.Generation && StartLsn == other.StartLsn && CommitLsn == other.CommitLsn
        && EncodedRecords.Span.SequenceEqual(other.EncodedRecords.Span);

    public override int GetHashCode() => HashCode.Combine(Generation, StartLsn, EncodedRecords.Length);
}

/// <summary>Replica to upstream, after every flush and every heartbeat: how far its log is written, flushed and applied.</summary>
public sealed record AckFrame(Generation Generation, Lsn WriteLsn, Lsn FlushLsn, Lsn ApplyLsn) : Frame
{
    public override FrameType Type => FrameType.Ack;
}

/// <summary>Upstream to replica when idle: still here, in this generation; the log ends and commits here.</summary>
public sealed record HeartbeatFrame(Generation Generation, Lsn FlushedLsn, Lsn CommitLsn, long TimestampMicros) : Frame
{
    public override FrameType Type => FrameType.Heartbeat;
}

/// <summary>
/// Upstream to replica after Welcome(Rebuild): a snapshot of the state at <see cref="SnapshotLsn"/> follows in
/// chunks, then SnapshotEnd, then Records from <see cref="SnapshotLsn"/>. <see cref="History"/> is the upstream's
/// generation history up to that position, which the replica adopts.
/// </summary>
public sealed record SnapshotBeginFrame(Generation Generation, Lsn SnapshotLsn, long TotalBytes, IReadOnlyList<GenerationStart> History) : Frame
{
    public override FrameType Type => FrameType.SnapshotBegin;

    public bool Equals(SnapshotBeginFrame? other) =>
        other is not null && Generation == other.Generation && SnapshotLsn == other.SnapshotLsn && TotalBytes == other.TotalBytes
        && History.SequenceEqual(other.History);

    public override int GetHashCode() => HashCode.Combine(Generation, SnapshotLsn, TotalBytes);
}

/// <summary>Upstream to replica: the snapshot's bytes at <see cref="Offset"/>; chunks come in order, without gaps.</summary>
public sealed record SnapshotChunkFrame(long Offset, ReadOnlyMemory<byte> Bytes) : Frame
{
    public override FrameType Type => FrameType.SnapshotChunk;

    /// <summary>Set by the decoder: the pooled array under <see cref="Bytes"/>, returned by <see cref="Release"/>.</summary>
    internal byte[]? Pooled { get => _pooled; init => _pooled = value; }
    private byte[]? _pooled;

    /// <summary>Returns a decoded chunk's bytes to the pool once written; the frame must not be read after.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _pooled, null) is { } array) System.Buffers.ArrayPool<byte>.Shared.Return(array);
    }

    public bool Equals(SnapshotChunkFrame? other) => other is not null && Offset == other.Offset && Bytes.Span.SequenceEqual(other.Bytes.Span);
    public override int GetHashCode() => HashCode.Combine(Offset, Bytes.Length);
}

/// <summary>Upstream to replica: the snapshot is complete; <see cref="Crc32C"/> covers all its bytes.</summary>
public sealed record SnapshotEndFrame(uint Crc32C) : Frame
{
    public override FrameType Type => FrameType.SnapshotEnd;
}

/// <summary>
/// Upstream to replica after Welcome(FromArchive): the upstream's generation history (to check archived records
/// against) and its first retained LSN (where the archive's part ends). The upstream then closes the link.
/// </summary>
public sealed record ArchiveHintFrame(Lsn FirstRetainedLsn, IReadOnlyList<GenerationStart> History) : Frame
{
    public override FrameType Type => FrameType.ArchiveHint;

    public bool Equals(ArchiveHintFrame? other) =>
        other is not null && FirstRetainedLsn == other.FirstRetainedLsn && History.SequenceEqual(other.History);

    public override int GetHashCode() => HashCode.Combine(FirstRetainedLsn, History.Count);
}

/// <summary>
/// Primary to replica, for a linearizable read (read index): "am I still your primary?", numbered. The replica
/// answers ReadIndexAck with the same sequence and its highest generation; a majority answering in the primary's
/// generation, after the read began, confirms the primary was still primary then.
/// </summary>
public sealed record ReadIndexFrame(Generation Generation, ulong Sequence) : Frame
{
    public override FrameType Type => FrameType.ReadIndex;
}

/// <summary>Replica to primary, answer to ReadIndex: the sequence it answers and the highest generation it has seen.</summary>
public sealed record ReadIndexAckFrame(Generation Generation, ulong Sequence) : Frame
{
    public override FrameType Type => FrameType.ReadIndexAck;
}

/// <summary>
/// Either direction on a control link (a separate small connection per peer, see docs/failover.md): one election
/// or heartbeat message, encoded by <see cref="Cluster.Election.ControlMessageCodec"/>. A connection whose first
/// frame is Control carries only Control frames; no reply on the same connection.
/// </summary>
public sealed record ControlFrame(ReadOnlyMemory<byte> Message) : Frame
{
    public override FrameType Type => FrameType.Control;

    public bool Equals(ControlFrame? other) => other is not null && Message.Span.SequenceEqual(other.Message.Span);

    public override int GetHashCode() => Message.Length;
}
