namespace AkkaRepl.Core.Diagnostics;

/// <summary>The steps of a node's start-up, in order; each counts its own bytes (see <see cref="RecoveryProgress"/>).</summary>
public enum RecoveryPhase
{
    /// <summary>Checking every WAL segment's records (checksums, LSNs) and cutting a torn tail: bytes of segment files scanned.</summary>
    Wal,
    /// <summary>Loading the newest valid snapshot into the state machine: bytes of the snapshot file read.</summary>
    Snapshot,
    /// <summary>Applying the log after the snapshot: bytes of log applied.</summary>
    Replay,
    /// <summary>Recovered: choosing the role and opening the replication and client ports (no byte count).</summary>
    Starting,
}
