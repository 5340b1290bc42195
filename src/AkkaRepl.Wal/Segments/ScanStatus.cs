namespace AkkaRepl.Wal.Segments;

/// <summary>What <see cref="SegmentScanner.Next"/> found at the current position.</summary>
internal enum ScanStatus
{
    /// <summary>A valid record with the expected LSN.</summary>
    Record,
    /// <summary>The scan limit was reached exactly at a record boundary.</summary>
    End,
    /// <summary>The bytes up to the limit end inside a record (a torn write).</summary>
    Torn,
    /// <summary>A record that cannot be valid: impossible length, checksum mismatch, or an unexpected LSN.</summary>
    Corrupt,
}
