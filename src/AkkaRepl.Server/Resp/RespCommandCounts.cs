using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Resp;

/// <summary>
/// Commands served by a RESP server, by kind, for the command-rate metrics. Plain interlocked counters read by an
/// observable instrument: a Counter.Add per command would cost a listener callback on the hottest path.
/// </summary>
public sealed class RespCommandCounts
{
    private long _reads, _writes, _transactions, _other;

    public long Reads => Interlocked.Read(ref _reads);
    public long Writes => Interlocked.Read(ref _writes);
    public long Transactions => Interlocked.Read(ref _transactions);
    public long Other => Interlocked.Read(ref _other);

    /// <summary>Counts one command that passed the arity check.</summary>
    public void Count(KvCommandInfo info)
    {
        if (info.IsWrite) Interlocked.Increment(ref _writes);
        else if (info.IsReadOnly) Interlocked.Increment(ref _reads);
        else if (info.IsTransactionControl) Interlocked.Increment(ref _transactions);
        else Interlocked.Increment(ref _other);
    }
}
