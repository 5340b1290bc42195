using System.Globalization;
using AkkaRepl.Core.Ids;

namespace AkkaRepl.Wal.Segments;

/// <summary>Segment file names: the first LSN as 20 zero-padded digits plus ".wal", so names sort in LSN order.</summary>
internal static class SegmentNames
{
    public const string Extension = ".wal";
    public const string TempExtension = ".tmp";

    public static string FileName(Lsn firstLsn) => firstLsn.Value.ToString("D20", CultureInfo.InvariantCulture) + Extension;

    public static bool TryParse(string fileName, out Lsn firstLsn)
    {
        firstLsn = default;
        if (fileName.Length != 20 + Extension.Length || !fileName.EndsWith(Extension, StringComparison.Ordinal)) return false;
        var digits = fileName.AsSpan(0, 20);
        foreach (char c in digits) if (c is < '0' or > '9') return false;
        if (!ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return false;
        firstLsn = new Lsn(v);
        return true;
    }
}
