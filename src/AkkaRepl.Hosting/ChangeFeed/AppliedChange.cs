using AkkaRepl.Core.Ids;

namespace AkkaRepl.Hosting.ChangeFeed;

/// <summary>
/// One applied write, as the log holds it. <see cref="EndLsn"/> is the position to resume after it.
/// <see cref="Command"/> is the application command (decoded) for a state machine write, null for a key-value write;
/// <see cref="Description"/> is readable text (<c>SET "k" "v"</c>, or the command's record text).
/// </summary>
public sealed record AppliedChange(
    Generation Generation,
    Lsn Lsn,
    Lsn EndLsn,
    DateTimeOffset CommitTimestamp,
    object? Command,
    string Description,
    ReadOnlyMemory<byte> Payload);
