using AkkaRepl.Core.Ids;
using AkkaRepl.Storage.StateMachine;

namespace AkkaRepl.Server.Backup;

/// <summary>A state image arriving as a stream (a node's image over HTTP), so the snapshot store can write it in
/// its own file format, checksums included, without holding it in memory.</summary>
internal sealed class StreamedImage(Lsn lsn, Stream source) : IStateImage
{
    public Lsn Lsn => lsn;

    public void WriteTo(Stream destination) => source.CopyTo(destination, 1 << 20);
}
