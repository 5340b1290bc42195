using AkkaRepl.Core.Ids;

namespace AkkaRepl.Storage.StateMachine;

/// <summary>
/// A deterministic replicated state machine. One applier loop calls <see cref="Apply"/> in LSN order,
/// exactly once per record after a restore; the same records in the same order give the same state
/// on every node. Reads may run concurrently with <see cref="Apply"/>; the implementation guards them.
/// </summary>
public interface IStateMachine
{
    /// <summary>End LSN of the last applied record (<see cref="Lsn.Zero"/> when empty).</summary>
    Lsn AppliedLsn { get; }

    /// <summary>Applies one record; returns the reply for the client that wrote it (may be null).</summary>
    object? Apply(in CommittedEntry entry);

    /// <summary>True when <see cref="Apply"/> keeps no reference to the entry's payload memory after it returns (it copies
    /// what it keeps, and its reply does not point into the payload): the applier may then hand it memory that is
    /// reused afterwards, without a copy per record. False (the default) for a state machine that may keep it.</summary>
    bool CopiesPayload => false;

    /// <summary>Captures a consistent image of the state at <see cref="AppliedLsn"/>; cheap to take on the
    /// applier loop, written out later off it.</summary>
    IStateImage CaptureImage();

    /// <summary>Replaces the whole state with a snapshot's image; returns the image's LSN.</summary>
    Lsn Restore(Stream source);
}

/// <summary>A frozen state image: its LSN, and how to write it out.</summary>
public interface IStateImage
{
    Lsn Lsn { get; }
    void WriteTo(Stream destination);

    /// <summary>The exact number of bytes <see cref="WriteTo"/> writes, when it is known without writing the image
    /// (a snapshot is then streamed to a replica as it is written); null when it is not.</summary>
    long? Length => null;
}
