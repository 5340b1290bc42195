using System.Globalization;

namespace AkkaRepl.Core.Diagnostics;

/// <summary>
/// The machine's steal time (Linux, <c>/proc/stat</c>): CPU time the hypervisor gave to something else while this
/// virtual machine had work to run. A stall of every process at once with no GC in it is usually this, or the kernel.
/// Reads the first line of <c>/proc/stat</c> through one open file; null where there is no such file or it cannot
/// be parsed.
/// </summary>
public sealed class StealClock : IDisposable
{
    private const double MillisecondsPerTick = 10; // USER_HZ is 100 on Linux's common architectures
    private readonly FileStream? _stat;
    private readonly byte[] _buffer = new byte[256];

    public StealClock(string path = "/proc/stat")
    {
        try { _stat = OperatingSystem.IsLinux() ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1) : null; }
        catch (IOException) { _stat = null; }
        catch (UnauthorizedAccessException) { _stat = null; }
    }

    /// <summary>Steal time since boot in milliseconds, or null when unknown.</summary>
    public double? Read()
    {
        if (_stat is null) return null;
        try
        {
            _stat.Position = 0;
            var n = _stat.Read(_buffer, 0, _buffer.Length);
            return Parse(_buffer.AsSpan(0, n));
        }
        catch (IOException) { return null; }
    }

    /// <summary>The 8th number of the aggregate "cpu" line (user nice system idle iowait irq softirq steal ...), in ms.</summary>
    internal static double? Parse(ReadOnlySpan<byte> text)
    {
        var end = text.IndexOf((byte)'\n');
        var line = System.Text.Encoding.ASCII.GetString(end < 0 ? text : text[..end]);
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 9 || fields[0] != "cpu") return null;
        return long.TryParse(fields[8], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ? ticks * MillisecondsPerTick : null;
    }

    public void Dispose() => _stat?.Dispose();
}
