using AkkaRepl.Wal.Segments;
using Microsoft.Win32.SafeHandles;

namespace AkkaRepl.Wal.Recovery;

/// <summary>What recovery hands the writer: every segment in LSN order (the last one active and open for
/// writing), and how many bytes were cut from a torn tail.</summary>
internal sealed record RecoveredLog(List<Segment> Segments, SafeFileHandle ActiveHandle, long BytesCut);
