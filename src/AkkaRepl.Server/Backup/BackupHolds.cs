using AkkaRepl.Core.Ids;

namespace AkkaRepl.Server.Backup;

/// <summary>
/// The log positions backups in progress still need: a backup streams a state image at LSN S, then asks for the
/// log from S, and snapshots written meanwhile would let retention trim below S (the WAL request then failed with
/// 409). Retention keeps the log from the lowest hold. A hold lasts while the image streams and until the backup's
/// WAL request ends, and at most <see cref="Linger"/> after the image was sent, so a backup client that died between
/// the two requests does not pin the log for good.
/// </summary>
internal sealed class BackupHolds(TimeProvider time)
{
    public static readonly TimeSpan Linger = TimeSpan.FromMinutes(10);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, (Lsn Lsn, DateTimeOffset? Until)> _holds = new(StringComparer.Ordinal);

    /// <summary>Holds the log from <paramref name="lsn"/> until released or, once <see cref="Expire"/>d, its linger ends.</summary>
    public string Take(Lsn lsn)
    {
        var id = Guid.NewGuid().ToString("N");
        lock (_lock) _holds[id] = (lsn, null);
        return id;
    }

    /// <summary>The image was sent: the hold now ends <see cref="Linger"/> from now unless released sooner.</summary>
    public void Expire(string id)
    {
        lock (_lock)
            if (_holds.TryGetValue(id, out var hold)) _holds[id] = (hold.Lsn, time.GetUtcNow() + Linger);
    }

    public void Release(string id)
    {
        lock (_lock) _holds.Remove(id);
    }

    /// <summary>The lowest position held, or null when no backup holds any.</summary>
    public Lsn? Floor()
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            Lsn? floor = null;
            foreach (var (id, hold) in _holds.ToList())
            {
                if (hold.Until is { } until && until <= now) { _holds.Remove(id); continue; }
                floor = floor is { } f ? Lsn.Min(f, hold.Lsn) : hold.Lsn;
            }
            return floor;
        }
    }
}
