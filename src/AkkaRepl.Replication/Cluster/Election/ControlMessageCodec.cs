using System.Buffers.Binary;
using System.Text;
using AkkaRepl.Replication.Protocol;

namespace AkkaRepl.Replication.Cluster.Election;

/// <summary>
/// The body of a <see cref="ControlFrame"/>: <c>u8 kind</c>, <c>str from</c> (u16 length + UTF-8),
/// <c>u64 generation</c>, then the kind's fields, little-endian (layouts in docs/protocol.md). Decoding refuses
/// unknown kinds and bodies of the wrong length with <see cref="ProtocolException"/>.
/// </summary>
public static class ControlMessageCodec
{
    private enum Kind : byte { Heartbeat = 1, HeartbeatAck = 2, PreVoteRequest = 3, PreVoteReply = 4, VoteRequest = 5, VoteReply = 6, TimeoutNow = 7, Hello = 8 }

    public static byte[] Encode(ControlMessage message)
    {
        var from = Encoding.UTF8.GetBytes(message.From);
        if (from.Length > FrameCodec.MaxStringBytes) throw new ArgumentException("node id too long", nameof(message));
        var cluster = message is ControlHello hello ? Encoding.UTF8.GetBytes(hello.ClusterId) : [];
        if (cluster.Length > FrameCodec.MaxStringBytes) throw new ArgumentException("cluster id too long", nameof(message));
        var (kind, fields) = message switch
        {
            Heartbeat h => (Kind.Heartbeat, 1 + 16 + 8),
            HeartbeatAck => (Kind.HeartbeatAck, 8),
            PreVoteRequest => (Kind.PreVoteRequest, 16 + 4 + 4),
            PreVoteReply => (Kind.PreVoteReply, 8 + 1),
            VoteRequest => (Kind.VoteRequest, 16 + 8 + 1),
            VoteReply => (Kind.VoteReply, 1 + 8),
            TimeoutNow => (Kind.TimeoutNow, 0),
            ControlHello => (Kind.Hello, 2 + 2 + cluster.Length),
            _ => throw new ArgumentException($"no encoding for {message.GetType().Name}", nameof(message)),
        };
        var bytes = new byte[1 + 2 + from.Length + 8 + fields];
        var s = bytes.AsSpan();
        s[0] = (byte)kind;
        BinaryPrimitives.WriteUInt16LittleEndian(s[1..], (ushort)from.Length);
        from.CopyTo(s[3..]);
        var at = 3 + from.Length;
        BinaryPrimitives.WriteUInt64LittleEndian(s[at..], message.Generation);
        var f = s[(at + 8)..];
        switch (message)
        {
            case Heartbeat h: f[0] = h.IsPrimary ? (byte)1 : (byte)0; Log(f[1..], h.Log); I64(f[17..], h.SentAtTicks); break;
            case HeartbeatAck a: I64(f, a.EchoTicks); break;
            case PreVoteRequest p: Log(f, p.Log); BinaryPrimitives.WriteInt32LittleEndian(f[16..], p.Priority); BinaryPrimitives.WriteInt32LittleEndian(f[20..], p.Attempt); break;
            case PreVoteReply r: BinaryPrimitives.WriteUInt64LittleEndian(f, r.ForGeneration); f[8] = r.Granted ? (byte)1 : (byte)0; break;
            case VoteRequest v: Log(f, v.Log); I64(f[16..], v.SentAtTicks); f[24] = v.Transfer ? (byte)1 : (byte)0; break;
            case VoteReply v: f[0] = v.Granted ? (byte)1 : (byte)0; I64(f[1..], v.EchoTicks); break;
            case ControlHello h:
                BinaryPrimitives.WriteUInt16LittleEndian(f, h.ProtocolVersion);
                BinaryPrimitives.WriteUInt16LittleEndian(f[2..], (ushort)cluster.Length);
                cluster.CopyTo(f[4..]);
                break;
        }
        return bytes;
    }

    public static ControlMessage Decode(ReadOnlySpan<byte> s)
    {
        if (s.Length < 3) throw new ProtocolException($"control message of {s.Length} bytes is too short");
        var kind = (Kind)s[0];
        var fromLength = BinaryPrimitives.ReadUInt16LittleEndian(s[1..]);
        if (fromLength > FrameCodec.MaxStringBytes || s.Length < 3 + fromLength + 8)
            throw new ProtocolException($"control message of {s.Length} bytes is too short for its sender id of {fromLength} bytes");
        var from = Encoding.UTF8.GetString(s.Slice(3, fromLength));
        var generation = BinaryPrimitives.ReadUInt64LittleEndian(s[(3 + fromLength)..]);
        var f = s[(3 + fromLength + 8)..];
        if (kind == Kind.Hello)
        {
            if (f.Length < 4) throw new ProtocolException($"control message Hello has {f.Length} bytes of fields, not at least 4");
            var clusterLength = BinaryPrimitives.ReadUInt16LittleEndian(f[2..]);
            if (clusterLength > FrameCodec.MaxStringBytes || f.Length != 4 + clusterLength)
                throw new ProtocolException($"control message Hello has {f.Length} bytes of fields for a cluster id of {clusterLength} bytes");
            return new ControlHello(from, BinaryPrimitives.ReadUInt16LittleEndian(f), Encoding.UTF8.GetString(f.Slice(4, clusterLength)));
        }
        int expected = kind switch
        {
            Kind.Heartbeat => 25, Kind.HeartbeatAck => 8, Kind.PreVoteRequest => 24,
            Kind.PreVoteReply => 9, Kind.VoteRequest => 25, Kind.VoteReply => 9, Kind.TimeoutNow => 0,
            _ => throw new ProtocolException($"unknown control message kind {(byte)kind}"),
        };
        if (f.Length != expected) throw new ProtocolException($"control message {kind} has {f.Length} bytes of fields, not {expected}");
        return kind switch
        {
            Kind.Heartbeat => new Heartbeat(from, generation, Flag(f[0]), ReadLog(f[1..]), BinaryPrimitives.ReadInt64LittleEndian(f[17..])),
            Kind.HeartbeatAck => new HeartbeatAck(from, generation, BinaryPrimitives.ReadInt64LittleEndian(f)),
            Kind.PreVoteRequest => new PreVoteRequest(from, generation, ReadLog(f), BinaryPrimitives.ReadInt32LittleEndian(f[16..]), BinaryPrimitives.ReadInt32LittleEndian(f[20..])),
            Kind.PreVoteReply => new PreVoteReply(from, generation, BinaryPrimitives.ReadUInt64LittleEndian(f), Flag(f[8])),
            Kind.VoteRequest => new VoteRequest(from, generation, ReadLog(f), BinaryPrimitives.ReadInt64LittleEndian(f[16..]), Flag(f[24])),
            Kind.TimeoutNow => new TimeoutNow(from, generation),
            _ => new VoteReply(from, generation, Flag(f[0]), BinaryPrimitives.ReadInt64LittleEndian(f[1..])),
        };
    }

    private static bool Flag(byte b) => b switch { 0 => false, 1 => true, _ => throw new ProtocolException($"flag byte {b} is neither 0 nor 1") };
    private static void I64(Span<byte> s, long v) => BinaryPrimitives.WriteInt64LittleEndian(s, v);
    private static void Log(Span<byte> s, LogPosition p) { BinaryPrimitives.WriteUInt64LittleEndian(s, p.Generation); BinaryPrimitives.WriteUInt64LittleEndian(s[8..], p.Lsn); }
    private static LogPosition ReadLog(ReadOnlySpan<byte> s) => new(BinaryPrimitives.ReadUInt64LittleEndian(s), BinaryPrimitives.ReadUInt64LittleEndian(s[8..]));
}
