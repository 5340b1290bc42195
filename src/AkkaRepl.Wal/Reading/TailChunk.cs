using AkkaRepl.Core.Ids;

namespace AkkaRepl.Wal.Reading;

/// <summary>An immutable run of encoded records starting at a record boundary (one write of the writer).
/// Readers may keep a chunk after it left the cache; its bytes never change.</summary>
internal sealed class TailChunk(Lsn start, byte[] bytes)
{
    public Lsn Start { get; } = start;
    public byte[] Bytes { get; } = bytes;
    public Lsn End => Start + (ulong)Bytes.Length;
}
