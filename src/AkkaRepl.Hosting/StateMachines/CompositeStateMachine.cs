using System.Text;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Storage.StateMachine;

namespace AkkaRepl.Hosting.StateMachines;

/// <summary>
/// The state a node with an application state machine applies its log to: the key-value store (which RESP serves)
/// and the application's machine, side by side. Each record goes to one of them by its first byte
/// (<see cref="CommandCodec.Marker"/>). A snapshot holds both, taken under one lock with apply, so it is the state of
/// both at exactly one LSN.
/// <para>Snapshot layout (inside the snapshot file's own envelope and checksum): the 4 bytes <c>AKSM</c>, format
/// version 1, the LSN (uint64), the machine's name, then the key-value image and the application's snapshot, each
/// as an int64 length and its bytes. Little-endian.</para>
/// </summary>
internal sealed class CompositeStateMachine(KvStore kv, IApplicationState app, string machineName) : IStateMachine
{
    private static readonly byte[] Magic = "AKSM"u8.ToArray();
    private const byte FormatVersion = 1;
    private readonly Lock _gate = new(); // held by apply and capture, so an image is one LSN of both parts
    private ulong _applied;             // written only by the apply loop (and Restore, while it is stopped)

    public KvStore Kv => kv;
    public IApplicationState App => app;

    public Lsn AppliedLsn => new(Volatile.Read(ref _applied));

    public object? Apply(in CommittedEntry entry)
    {
        lock (_gate)
        {
            var result = CommandCodec.IsApplicationCommand(entry.Payload.Span) ? app.Apply(entry) : kv.Apply(entry);
            Volatile.Write(ref _applied, entry.EndLsn.Value);
            return result;
        }
    }

    public IStateImage CaptureImage()
    {
        lock (_gate) return new Image(AppliedLsn, kv.CaptureImage(), app.Capture(), machineName);
    }

    public Lsn Restore(Stream source)
    {
        using var reader = new BinaryReader(source, Encoding.UTF8, leaveOpen: true);
        var magic = reader.ReadBytes(4);
        if (!magic.AsSpan().SequenceEqual(Magic))
            throw new StorageCorruptException($"this snapshot holds only key-value state, but this node runs the application state machine {machineName}: every node of a cluster must run the same state machine");
        var version = reader.ReadByte();
        if (version != FormatVersion)
            throw new StorageCorruptException($"this snapshot has application format version {version}; this node reads only version {FormatVersion}: upgrade the node");
        var lsn = new Lsn(reader.ReadUInt64());
        var name = reader.ReadString();
        if (name != machineName)
            throw new StorageCorruptException($"this snapshot holds the state machine {name}, but this node runs {machineName}: every node of a cluster must run the same state machine");
        kv.Restore(new MemoryStream(reader.ReadBytes(checked((int)reader.ReadInt64()))));
        app.Restore(new MemoryStream(reader.ReadBytes(checked((int)reader.ReadInt64()))), lsn);
        Volatile.Write(ref _applied, lsn.Value);
        return lsn;
    }

    private sealed class Image(Lsn lsn, IStateImage kv, byte[] app, string name) : IStateImage
    {
        public Lsn Lsn => lsn;

        public void WriteTo(Stream destination)
        {
            using var kvBytes = new MemoryStream();
            kv.WriteTo(kvBytes);
            using var writer = new BinaryWriter(destination, Encoding.UTF8, leaveOpen: true);
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(lsn.Value);
            writer.Write(name);
            writer.Write(kvBytes.Length);
            writer.Write(kvBytes.GetBuffer(), 0, (int)kvBytes.Length);
            writer.Write((long)app.Length);
            writer.Write(app);
        }
    }
}
