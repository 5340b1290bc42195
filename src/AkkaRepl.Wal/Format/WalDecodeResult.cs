namespace AkkaRepl.Wal.Format;

/// <summary>Result of <see cref="WalRecordCodec.TryDecode"/>: Ok, Incomplete, or Corrupt with a reason
/// written for an operator (e.g. "checksum mismatch: stored 0x1234ABCD, computed 0x9F00AA11").</summary>
public readonly record struct WalDecodeResult(WalDecodeStatus Status, string? CorruptReason)
{
    public static readonly WalDecodeResult Ok = new(WalDecodeStatus.Ok, null);
    public static readonly WalDecodeResult Incomplete = new(WalDecodeStatus.Incomplete, null);
    public static WalDecodeResult Corrupt(string reason) => new(WalDecodeStatus.Corrupt, reason);

    public bool IsOk => Status == WalDecodeStatus.Ok;
    public override string ToString() => Status == WalDecodeStatus.Corrupt ? $"Corrupt({CorruptReason})" : Status.ToString();
}
