namespace AkkaRepl.Wal.Format;

/// <summary>Result of <see cref="WalRecordCodec.TryDecode"/>: Ok, Incomplete, or Corrupt with a reason
/// written for an operator (e.g. "checksum mismatch: stored 0x1234ABCD, computed 0x9F00AA11").</summary>
public readonly record struct WalDecodeResult(WalDecodeStatus Status, string? CorruptReason)
{
    /// <summary>A whole, valid record was decoded.</summary>
    public static readonly WalDecodeResult Ok = new(WalDecodeStatus.Ok, null);
    /// <summary>The input ends inside the record; more bytes may make it whole.</summary>
    public static readonly WalDecodeResult Incomplete = new(WalDecodeStatus.Incomplete, null);
    /// <summary>The bytes cannot be a valid record, for the given reason.</summary>
    public static WalDecodeResult Corrupt(string reason) => new(WalDecodeStatus.Corrupt, reason);

    /// <summary>True for <see cref="Ok"/>.</summary>
    public bool IsOk => Status == WalDecodeStatus.Ok;
    public override string ToString() => Status == WalDecodeStatus.Corrupt ? $"Corrupt({CorruptReason})" : Status.ToString();
}
