using AkkaRepl.Replication.Primary;

namespace AkkaRepl.Server.Resp;

/// <summary>
/// Per-connection settings and facts the node keeps for a RESP client: the durability its writes ask for
/// (<c>DURABILITY</c>), and the LSN of its last acknowledged write (what <c>WAIT</c> waits for and
/// <c>LASTLSN</c> returns as a read-your-writes token).
/// </summary>
public sealed class RespSession
{
    private long _lastWriteLsn;

    /// <summary>The durability this connection's writes ask for; null: the node's default.</summary>
    public Durability? Durability { get; set; }

    /// <summary>The consistency this connection's reads ask for (<c>CONSISTENCY</c>); eventual until set.</summary>
    public Reads.ReadConsistency Consistency { get; set; } = Reads.ReadConsistency.Eventual;

    /// <summary>End LSN of the newest write acknowledged on this connection (0: none yet).</summary>
    public ulong LastWriteLsn => (ulong)Interlocked.Read(ref _lastWriteLsn);

    /// <summary>Records an acknowledged write; pipelined writes may complete in any order, so the highest wins.</summary>
    public void WriteAcknowledged(ulong endLsn)
    {
        long seen;
        while ((ulong)(seen = Interlocked.Read(ref _lastWriteLsn)) < endLsn)
            if (Interlocked.CompareExchange(ref _lastWriteLsn, (long)endLsn, seen) == seen) return;
    }
}
