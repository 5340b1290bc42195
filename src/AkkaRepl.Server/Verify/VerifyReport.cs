namespace AkkaRepl.Server.Verify;

/// <summary>What a verification found: every node's digest at one LSN compared with the primary's (the reference).
/// <see cref="AllEqual"/> is true only when every node answered and matched.</summary>
public sealed record VerifyReport(ulong Lsn, string Reference, DateTimeOffset At, bool AllEqual, IReadOnlyList<NodeVerifyResult> Nodes);

/// <summary>One node's outcome: <c>equal</c>, <c>different</c> (with the differing keys) or <c>failed</c> (with why).
/// <see cref="RangesCompared"/> counts the key ranges whose digests were fetched while narrowing down.</summary>
public sealed record NodeVerifyResult(string NodeId, string Result, int? Keys, string? Root, int RangesCompared,
    IReadOnlyList<KeyDifference> Differences, string? Error);

/// <summary>A key whose entry differs from the reference: <c>value differs</c> (value or version),
/// <c>missing on this node</c>, or <c>only on this node</c>. <see cref="Key"/> is printable (other bytes as \xNN).</summary>
public sealed record KeyDifference(string Key, string Difference);

/// <summary>A node's digest at a marker LSN, as <c>GET /admin/digest/{lsn}</c> returns it.</summary>
public sealed record NodeDigest(string NodeId, ulong Lsn, int Keys, string Root);

/// <summary>One key of a range, as <c>GET /admin/digest/{lsn}/keys</c> returns it: printable text, the raw bytes in
/// base64, and the entry hash.</summary>
public sealed record DigestKey(string Key, string KeyBase64, string Entry);

/// <summary>The answer of <c>POST /admin/digest/mark</c>: the LSN at which every node computes its digest.</summary>
public sealed record DigestMark(ulong Lsn);
