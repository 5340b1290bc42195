using AkkaRepl.Core.Io;
using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Wal.Format;

namespace AkkaRepl.Replication.Protocol;

/// <summary>
/// Encodes and decodes replication frames:
/// <c>[u32 length][u32 crc32c][u8 type][body]</c>, little-endian, where length counts type and body and the
/// CRC32C covers them. A frame is only handed out when its checksum, type, size and body layout are all
/// right; anything else raises <see cref="ProtocolException"/> so the link is closed before a byte of it
/// reaches a WAL.
/// </summary>
public static class FrameCodec
{
    /// <summary>Bytes before the type byte: length and checksum.</summary>
    public const int HeaderBytes = 8;

    /// <summary>The protocol version this build speaks. A peer with another one is refused at the handshake.</summary>
    public const ushort ProtocolVersion = 1;

    /// <summary>Longest id or message string on the wire, in UTF-8 bytes.</summary>
    public const int MaxStringBytes = 1024;

    /// <summary>Most generation-history entries a Hello may carry.</summary>
    public const int MaxHistoryEntries = 4096;

    public static void Write(IBufferWriter<byte> output, Frame frame)
    {
        var bodyLength = BodyLength(frame);
        var total = HeaderBytes + 1 + bodyLength;
        var span = output.GetSpan(total)[..total];
        span[HeaderBytes] = (byte)frame.Type;
        var body = span[(HeaderBytes + 1)..];
        WriteBody(body, frame);
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)(1 + bodyLength));
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Crc32C.Compute(span[HeaderBytes..]));
        output.Advance(total);
    }

    public static byte[] ToBytes(Frame frame)
    {
        var writer = new ArrayBufferWriter<byte>();
        Write(writer, frame);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Takes one whole frame off the front of <paramref name="buffer"/>. False when more bytes are needed.
    /// Throws <see cref="ProtocolException"/> for a frame over <paramref name="maxFrameBytes"/>, a bad checksum,
    /// an unknown type or a body that does not match its type's layout.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxFrameBytes, out Frame frame)
    {
        frame = null!;
        if (buffer.Length < HeaderBytes) return false;
        Span<byte> header = stackalloc byte[HeaderBytes];
        buffer.Slice(0, HeaderBytes).CopyTo(header);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (length == 0 || length > (uint)maxFrameBytes)
            throw new ProtocolException($"frame length {length} is outside 1..{maxFrameBytes} bytes");
        if (buffer.Length < HeaderBytes + length) return false;
        var source = buffer.Slice(HeaderBytes, length);
        Span<byte> typeByte = stackalloc byte[1];
        source.Slice(0, 1).CopyTo(typeByte);
        if ((FrameType)typeByte[0] is FrameType.Records or FrameType.SnapshotChunk)
        {
            // Bulk frames own a pooled copy (the pipe reuses its buffers); the consumer returns it with Release().
            var rented = ArrayPool<byte>.Shared.Rent((int)length);
            try
            {
                source.CopyTo(rented);
                frame = Decode(rented.AsMemory(0, (int)length), crc, rented);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(rented);
                throw;
            }
        }
        else if (source.IsSingleSegment)
        {
            frame = Decode(source.First, crc, null); // small frames: decoded in place, nothing kept
        }
        else
        {
            frame = Decode(source.ToArray(), crc, null);
        }
        buffer = buffer.Slice(HeaderBytes + length);
        return true;
    }

    /// <summary>Checks the checksum, then decodes. Only Records, SnapshotChunk (over <paramref name="pooled"/>) and
    /// Control (copied) keep bytes of <paramref name="content"/>; every other frame copies out what it needs.</summary>
    private static Frame Decode(ReadOnlyMemory<byte> content, uint crc, byte[]? pooled)
    {
        var actual = Crc32C.Compute(content.Span);
        if (actual != crc)
            throw new ProtocolException($"frame checksum mismatch: header says 0x{crc:x8}, content has 0x{actual:x8}");
        var type = (FrameType)content.Span[0];
        var r = new BodyReader(content, 1, type);
        Frame frame = type switch
        {
            FrameType.Hello => new HelloFrame(r.U16(), r.Str(), r.Node(), r.Gen(), r.Lsn(), r.History(), r.Flag(), r.Flag()),
            FrameType.Welcome => new WelcomeFrame(r.U16(), r.Str(), r.Node(), r.Gen(), r.Lsn(), r.Enum<CatchUpMode>(2)),
            FrameType.Refuse => new RefuseFrame((RefuseReason)r.U16(), r.Str()),
            FrameType.Records => new RecordsFrame(r.Gen(), r.Lsn(), r.Lsn(), r.Rest()) { Pooled = pooled },
            FrameType.Ack => new AckFrame(r.Gen(), r.Lsn(), r.Lsn(), r.Lsn()),
            FrameType.Heartbeat => new HeartbeatFrame(r.Gen(), r.Lsn(), r.Lsn(), r.I64()),
            FrameType.SnapshotBegin => new SnapshotBeginFrame(r.Gen(), r.Lsn(), r.I64(), r.History()),
            FrameType.SnapshotChunk => new SnapshotChunkFrame(r.I64(), r.Rest()) { Pooled = pooled },
            FrameType.SnapshotEnd => new SnapshotEndFrame(r.U32()),
            FrameType.ArchiveHint => new ArchiveHintFrame(r.Lsn(), r.History()),
            FrameType.ReadIndex => new ReadIndexFrame(r.Gen(), r.U64()),
            FrameType.ReadIndexAck => new ReadIndexAckFrame(r.Gen(), r.U64()),
            FrameType.Control => new ControlFrame(r.Rest().ToArray()),
            _ => throw new ProtocolException($"unknown frame type {(byte)type}"),
        };
        r.End();
        return frame;
    }

    private static int BodyLength(Frame frame) => frame switch
    {
        HelloFrame h => 2 + StrLen(h.ClusterId) + StrLen(h.NodeId.Value) + 8 + 8 + 2 + HistoryLen(h.History) + 2,
        WelcomeFrame w => 2 + StrLen(w.ClusterId) + StrLen(w.NodeId.Value) + 8 + 8 + 1,
        RefuseFrame f => 2 + StrLen(f.Message),
        RecordsFrame rec => 8 + 8 + 8 + rec.EncodedRecords.Length,
        AckFrame => 8 * 4,
        HeartbeatFrame => 8 * 4,
        SnapshotBeginFrame b => 8 + 8 + 8 + 2 + HistoryLen(b.History),
        SnapshotChunkFrame c => 8 + c.Bytes.Length,
        SnapshotEndFrame => 4,
        ArchiveHintFrame a => 8 + 2 + HistoryLen(a.History),
        ReadIndexFrame => 8 + 8,
        ReadIndexAckFrame => 8 + 8,
        ControlFrame c => c.Message.Length,
        _ => throw new ArgumentException($"no encoding for {frame.GetType().Name}", nameof(frame)),
    };

    private static void WriteBody(Span<byte> s, Frame frame)
    {
        var w = new BodyWriter(s);
        switch (frame)
        {
            case HelloFrame h:
                w.U16(h.ProtocolVersion); w.Str(h.ClusterId); w.Str(h.NodeId.Value); w.U64(h.HighestGeneration.Value); w.U64(h.FlushedLsn.Value);
                w.U16((ushort)h.History.Count);
                foreach (var e in h.History) { w.U64(e.Generation.Value); w.U64(e.Lsn.Value); }
                w.U8(h.WantsRebuild ? (byte)1 : (byte)0);
                w.U8(h.ReadsArchive ? (byte)1 : (byte)0);
                break;
            case ArchiveHintFrame a:
                w.U64(a.FirstRetainedLsn.Value);
                w.U16((ushort)a.History.Count);
                foreach (var e in a.History) { w.U64(e.Generation.Value); w.U64(e.Lsn.Value); }
                break;
            case SnapshotBeginFrame b:
                w.U64(b.Generation.Value); w.U64(b.SnapshotLsn.Value); w.U64((ulong)b.TotalBytes);
                w.U16((ushort)b.History.Count);
                foreach (var e in b.History) { w.U64(e.Generation.Value); w.U64(e.Lsn.Value); }
                break;
            case SnapshotChunkFrame c: w.U64((ulong)c.Offset); w.Bytes(c.Bytes.Span); break;
            case SnapshotEndFrame e: w.U32(e.Crc32C); break;
            case ControlFrame c: w.Bytes(c.Message.Span); break;
            case WelcomeFrame x: w.U16(x.ProtocolVersion); w.Str(x.ClusterId); w.Str(x.NodeId.Value); w.U64(x.Generation.Value); w.U64(x.StartLsn.Value); w.U8((byte)x.Mode); break;
            case RefuseFrame f: w.U16((ushort)f.Reason); w.Str(f.Message); break;
            case RecordsFrame rec: w.U64(rec.Generation.Value); w.U64(rec.StartLsn.Value); w.U64(rec.CommitLsn.Value); w.Bytes(rec.EncodedRecords.Span); break;
            case AckFrame a: w.U64(a.Generation.Value); w.U64(a.WriteLsn.Value); w.U64(a.FlushLsn.Value); w.U64(a.ApplyLsn.Value); break;
            case HeartbeatFrame hb: w.U64(hb.Generation.Value); w.U64(hb.FlushedLsn.Value); w.U64(hb.CommitLsn.Value); w.U64((ulong)hb.TimestampMicros); break;
            case ReadIndexFrame ri: w.U64(ri.Generation.Value); w.U64(ri.Sequence); break;
            case ReadIndexAckFrame ra: w.U64(ra.Generation.Value); w.U64(ra.Sequence); break;
        }
    }

    private static int HistoryLen(IReadOnlyList<GenerationStart> history) =>
        history.Count <= MaxHistoryEntries ? history.Count * 16
            : throw new ArgumentException($"a history of {history.Count} entries is longer than the {MaxHistoryEntries} the protocol allows");

    private static int StrLen(string s)
    {
        var n = Encoding.UTF8.GetByteCount(s);
        if (n > MaxStringBytes) throw new ArgumentException($"string of {n} bytes is longer than the {MaxStringBytes} the protocol allows");
        return 2 + n;
    }

    private ref struct BodyWriter(Span<byte> span)
    {
        private readonly Span<byte> _span = span;
        private int _at;
        public void U8(byte v) => _span[_at++] = v;
        public void U16(ushort v) { BinaryPrimitives.WriteUInt16LittleEndian(_span[_at..], v); _at += 2; }
        public void U32(uint v) { BinaryPrimitives.WriteUInt32LittleEndian(_span[_at..], v); _at += 4; }
        public void U64(ulong v) { BinaryPrimitives.WriteUInt64LittleEndian(_span[_at..], v); _at += 8; }
        public void Bytes(ReadOnlySpan<byte> v) { v.CopyTo(_span[_at..]); _at += v.Length; }
        public void Str(string s)
        {
            var n = Encoding.UTF8.GetBytes(s, _span[(_at + 2)..]);
            U16((ushort)n);
            _at += n;
        }
    }

    private struct BodyReader(ReadOnlyMemory<byte> content, int start, FrameType type)
    {
        private int _at = start;

        private ReadOnlySpan<byte> Take(int n)
        {
            if (content.Length - _at < n)
                throw new ProtocolException($"{type} frame is truncated: needs {n} more bytes at offset {_at}, has {content.Length - _at}");
            var s = content.Span.Slice(_at, n);
            _at += n;
            return s;
        }

        public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        public bool Flag()
        {
            var b = Take(1)[0];
            return b <= 1 ? b == 1 : throw new ProtocolException($"{type} frame has flag byte {b}; only 0 or 1 allowed");
        }
        public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
        public long I64() => (long)U64();
        public Generation Gen() => new(U64());
        public Lsn Lsn() => new(U64());

        public T Enum<T>(byte max) where T : struct, System.Enum
        {
            var b = Take(1)[0];
            if (b > max) throw new ProtocolException($"{type} frame has unknown {typeof(T).Name} value {b}");
            return (T)(object)b;
        }

        public string Str()
        {
            var n = U16();
            if (n > MaxStringBytes) throw new ProtocolException($"{type} frame has a {n}-byte string; at most {MaxStringBytes} allowed");
            try { return new UTF8Encoding(false, true).GetString(Take(n)); }
            catch (DecoderFallbackException) { throw new ProtocolException($"{type} frame has a string that is not valid UTF-8"); }
        }

        public NodeId Node()
        {
            var s = Str();
            return NodeId.IsValid(s) ? new NodeId(s) : throw new ProtocolException($"{type} frame names an invalid node id '{s}'");
        }

        public IReadOnlyList<GenerationStart> History()
        {
            var count = U16();
            if (count > MaxHistoryEntries) throw new ProtocolException($"{type} frame has {count} history entries; at most {MaxHistoryEntries} allowed");
            var list = new GenerationStart[count];
            for (var i = 0; i < count; i++) list[i] = new GenerationStart(Gen(), Lsn());
            return list;
        }

        public ReadOnlyMemory<byte> Rest()
        {
            var rest = content[_at..];
            _at = content.Length;
            return rest;
        }

        public void End()
        {
            if (_at != content.Length)
                throw new ProtocolException($"{type} frame has {content.Length - _at} unexpected bytes after its body");
        }
    }
}
