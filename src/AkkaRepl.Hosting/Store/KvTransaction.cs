using System.Text;
using AkkaRepl.Core.Ids;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Hosting.Store;

/// <summary>
/// Key-value commands applied atomically as one log record (MULTI/EXEC). With <see cref="Watch"/>, the whole
/// transaction is skipped when a watched key changed after the version read (optimistic concurrency); the result
/// then says it was not committed, and the caller reads again and retries.
/// </summary>
public sealed class KvTransaction
{
    private readonly List<IReadOnlyList<ReadOnlyMemory<byte>>> _commands = [];
    private readonly List<KvWatch> _watches = [];

    /// <summary>Skips the transaction if <paramref name="key"/> changed after <paramref name="version"/> (a <see cref="ReadResult{T}.Version"/>).</summary>
    public KvTransaction Watch(string key, Lsn version)
    {
        _watches.Add(new KvWatch(Encoding.UTF8.GetBytes(key), version));
        return this;
    }

    public KvTransaction Set(string key, string value) => Add("SET", key, value);
    public KvTransaction Delete(string key) => Add("DEL", key);
    public KvTransaction Increment(string key, long by = 1) => Add("INCRBY", key, by.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Number of commands.</summary>
    public int Count => _commands.Count;

    internal byte[] Encode()
    {
        if (_commands.Count == 0) throw new InvalidOperationException("a transaction needs at least one command");
        return KvStore.EncodeTransaction(_commands, _watches);
    }

    private KvTransaction Add(params string[] argv)
    {
        _commands.Add(argv.Select(a => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(a)).ToArray());
        return this;
    }
}
