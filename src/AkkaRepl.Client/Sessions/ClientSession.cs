using AkkaRepl.Client.Reads;
using AkkaRepl.Client.Resp;
using AkkaRepl.Client.Writes;

namespace AkkaRepl.Client.Sessions;

/// <summary>
/// Makes read-your-writes and monotonic reads automatic: the session remembers the highest LSN it has written
/// (a write's end LSN, from <c>LASTLSN</c> pipelined after it) or read (the node's <c>APPLIEDLSN</c> pipelined after
/// the read, an upper bound of the state seen), and every read asks for at least that (<c>read-your-writes</c>), on
/// whichever node the preference picks. Thread-safe; the LSN only grows.
/// </summary>
public sealed class ClientSession
{
    private readonly AkkaReplClient _client;
    private long _highest;
    // Writes acknowledged without their LSN (LASTLSN's reply lost with the connection, or cancelled / timed out after
    // the write's reply), and how many of them a later linearizable read has covered: while some are not covered, the
    // session has no token for them, and reads linearizably (a read that sees every acknowledged write).
    private long _writesWithoutToken;
    private long _writesCovered;

    internal ClientSession(AkkaReplClient client, ReadPreference preference)
    {
        _client = client;
        Preference = preference;
    }

    public ReadPreference Preference { get; }

    /// <summary>The highest LSN this session has written or read (0: none yet).</summary>
    public ulong HighestLsn => (ulong)Interlocked.Read(ref _highest);

    public async Task<WriteResult> WriteAsync(string[] command, CancellationToken ct = default)
    {
        var result = await _client.WriteCoreAsync(command, wantLsn: true, ct).ConfigureAwait(false);
        if (result.Lsn is { } lsn) Observe(lsn);
        else Interlocked.Increment(ref _writesWithoutToken);
        return result;
    }

    public Task<WriteResult> SetAsync(string key, string value, CancellationToken ct = default) => WriteAsync(["SET", key, value], ct);

    /// <summary>A read that sees every write and read of this session before it. <paramref name="linearizable"/> asks
    /// for more (the primary, confirmed by a majority).</summary>
    public async Task<RespValue> ReadAsync(string[] command, bool linearizable = false, CancellationToken ct = default)
    {
        var uncovered = Interlocked.Read(ref _writesWithoutToken); // taken before the read: it covers these
        var level = linearizable || uncovered > Interlocked.Read(ref _writesCovered) ? ReadConsistency.Linearizable
            : HighestLsn > 0 ? ReadConsistency.ReadYourWrites(HighestLsn) : ReadConsistency.Eventual;
        var (reply, applied) = await _client.ReadCoreAsync(command, Preference, level, wantApplied: true, ct).ConfigureAwait(false);
        if (applied is { } seen) Observe(seen);
        if (level == ReadConsistency.Linearizable && applied is not null)
        {
            // The primary's applied LSN after a linearizable read covers every write acknowledged before it.
            long covered;
            while ((covered = Interlocked.Read(ref _writesCovered)) < uncovered)
                if (Interlocked.CompareExchange(ref _writesCovered, uncovered, covered) == covered) break;
        }
        return reply;
    }

    public async Task<string?> GetAsync(string key, CancellationToken ct = default) => (await ReadAsync(["GET", key], ct: ct).ConfigureAwait(false)).AsString();

    /// <summary>Raises the session's LSN (e.g. a token passed from another session or process).</summary>
    public void Observe(ulong lsn)
    {
        long seen;
        while ((ulong)(seen = Interlocked.Read(ref _highest)) < lsn)
            if (Interlocked.CompareExchange(ref _highest, (long)lsn, seen) == seen) return;
    }
}
