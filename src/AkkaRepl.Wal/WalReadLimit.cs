namespace AkkaRepl.Wal;

/// <summary>How far <see cref="WalWriter.ReadAsync"/> may read.</summary>
public enum WalReadLimit
{
    /// <summary>Only records known durable (up to <see cref="WalWriter.FlushedLsn"/>): what the applier and
    /// anything that must survive a crash of this node may see.</summary>
    Flushed,
    /// <summary>Records handed to the OS but maybe not yet durable (up to <see cref="WalWriter.WrittenLsn"/>):
    /// lets a primary ship records to replicas while its own fdatasync runs.</summary>
    Written,
}
