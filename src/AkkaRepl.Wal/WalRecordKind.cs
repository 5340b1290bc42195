namespace AkkaRepl.Wal;

/// <summary>What a WAL record carries. Stored as one byte; 0 is never valid (so zero-filled space never
/// decodes as a record) and values above the known ones are kept free for later formats.</summary>
public enum WalRecordKind : byte
{
    /// <summary>A state-machine command written by a client.</summary>
    Command = 1,
    /// <summary>The first record a new primary writes in its generation (marks where the generation starts).</summary>
    GenerationStart = 2,
}
