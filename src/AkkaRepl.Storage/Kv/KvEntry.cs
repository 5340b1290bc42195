namespace AkkaRepl.Storage.Kv;

/// <summary>A stored value, as a slice of <see cref="Buffer"/> (a chunk of <see cref="KvValueArena"/>, or an array of
/// its own), and its version (the end LSN of the record that last changed it). The slice is never changed in place,
/// so snapshot images and replies may share it; APPEND may write past its end, into room no other entry's slice covers
/// (<see cref="KvValueArena.Append"/>).</summary>
internal readonly record struct KvEntry(byte[] Buffer, int Offset, int Length, ulong Version)
{
    /// <summary>An entry holding the whole of <paramref name="value"/> (restored from an image).</summary>
    public KvEntry(byte[] value, ulong version) : this(value, 0, value.Length, version)
    {
    }

    public ReadOnlySpan<byte> Span => new(Buffer, Offset, Length);

    public ReadOnlyMemory<byte> Memory => new(Buffer, Offset, Length);
}
