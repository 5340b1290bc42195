namespace AkkaRepl.Server.Verify;

/// <summary>The last verification this node ran, as <c>/status</c> shows it under <c>verify</c>. <see cref="Result"/>
/// is <c>equal</c>, <c>different</c> (some node differs or failed to answer) or <c>failed</c> (the verification
/// could not run, see <see cref="Error"/>); null before the first run.</summary>
public sealed record VerifyStatus(bool Periodic, int Runs, DateTimeOffset? LastRunAt, ulong? Lsn, string? Result,
    IReadOnlyList<string> DifferentNodes, int DifferingKeys, string? Error);
