using System.Collections.Concurrent;
using System.Net;

namespace AkkaRepl.Server.Security;

/// <summary>
/// Counts failed AUTH attempts per client address in fixed one-minute windows, so a client cannot guess passwords
/// at network speed (each guess also costs a PBKDF2 run on the node). Shared by every connection of a RESP server;
/// thread-safe. Entries of quiet addresses are dropped as windows pass, so the table stays small.
/// </summary>
public sealed class AuthFailureLimiter(int failuresPerMinute, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<IPAddress, Entry> _entries = new();
    private long _lastSweepTicks;

    /// <summary>When the address may try again (null: it may try now).</summary>
    public TimeSpan? RetryAfter(IPAddress address)
    {
        var now = time.GetUtcNow();
        Sweep(now);
        if (!_entries.TryGetValue(address, out var entry)) return null;
        lock (entry)
        {
            if (now - entry.WindowStart >= Window || entry.Failures < failuresPerMinute) return null;
            return entry.WindowStart + Window - now;
        }
    }

    /// <summary>Records one failed attempt from <paramref name="address"/>.</summary>
    public void Failed(IPAddress address)
    {
        var now = time.GetUtcNow();
        var entry = _entries.GetOrAdd(address, _ => new Entry { WindowStart = now });
        lock (entry)
        {
            if (now - entry.WindowStart >= Window)
            {
                entry.WindowStart = now;
                entry.Failures = 0;
            }
            entry.Failures++;
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        var last = Interlocked.Read(ref _lastSweepTicks);
        if (now.UtcTicks - last < Window.Ticks || Interlocked.CompareExchange(ref _lastSweepTicks, now.UtcTicks, last) != last) return;
        foreach (var (address, entry) in _entries)
            if (now - entry.WindowStart >= Window) _entries.TryRemove(address, out _);
    }

    private sealed class Entry
    {
        public DateTimeOffset WindowStart;
        public int Failures;
    }
}
