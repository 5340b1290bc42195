namespace AkkaRepl.Wal.Format;

/// <summary>Outcome of decoding one record from a byte buffer.</summary>
public enum WalDecodeStatus
{
    /// <summary>A whole record with a matching checksum was decoded.</summary>
    Ok,
    /// <summary>The buffer ends before the record does; nothing is wrong yet (more bytes may follow).</summary>
    Incomplete,
    /// <summary>The bytes cannot be a record (impossible length, checksum mismatch, bad kind or reserved bytes).</summary>
    Corrupt,
}
