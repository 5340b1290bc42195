using System.Text;
using AkkaRepl.Core.Ids;
using AkkaRepl.Storage.StateMachine;

namespace AkkaRepl.Storage.Kv;

/// <summary>
/// The built-in replicated key-value store: string values, int64 counters and MULTI/EXEC transactions with
/// WATCH, with Redis's semantics and error texts. Writes reach it only as WAL payloads made by
/// <see cref="EncodeCommand"/> or <see cref="EncodeTransaction"/>; <see cref="Apply"/> executes them.
/// <para>Invariant: the same entries applied in the same order give the same state and the same replies on
/// every node. It holds because apply reads nothing but the payload, the entry's LSN and the state (no clock,
/// no randomness, no configuration except <c>maxTombstones</c>, which must match across the cluster), and
/// snapshot images carry everything apply reads (values, versions, tombstones and the tombstone horizon).</para>
/// <para>Invariant: a reader never sees half of a record. Apply holds the write lock for a whole record
/// (a whole EXEC); <see cref="ExecuteRead"/> and <see cref="ExecuteReadTransaction"/> hold the read lock.</para>
/// <para>Versions: a key's version is the end LSN of the last record that created, changed or deleted it. A
/// deleted key keeps a tombstone with its deletion LSN; at most <c>maxTombstones</c> are kept, the oldest
/// pruned first, and the horizon is the highest pruned deletion LSN (or the last FLUSHALL). An absent key's
/// version is max(its tombstone, horizon), an upper bound of its last change: a WATCH taken before a pruned
/// deletion therefore always aborts (conservatively), never wrongly succeeds.</para>
/// </summary>
public sealed class KvStore : IStateMachine
{
    /// <summary>Largest value APPEND may build (Redis's default proto-max-bulk-len).</summary>
    public const long MaxValueBytes = 512L * 1024 * 1024;

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly int _maxTombstones;
    // All fields below are written only by the applier thread under the write lock (Apply, Restore).
    private KvShardedMap _data = new();
    private KvValueArena _values = new(); // where Put keeps small values (see KvValueArena: no young-generation garbage per write)
    private int _compactShard; // the next shard a compaction step looks at
    private Dictionary<byte[], ulong> _tombstones = new(ByteArrayComparer.Instance);
    private Queue<(byte[] Key, ulong Lsn)> _tombstoneOrder = new();
    private ulong _horizon;
    private Lsn _applied = Lsn.Zero;

    /// <param name="maxTombstones">Most deleted keys whose deletion LSN is remembered for WATCH (at least 1);
    /// must be the same on every node of a cluster.</param>
    public KvStore(int maxTombstones = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTombstones, 1);
        _maxTombstones = maxTombstones;
    }

    /// <summary>Apply copies every key and value it keeps, and replies only with stored values: no payload memory is kept.</summary>
    public bool CopiesPayload => true;

    /// <inheritdoc />
    public Lsn AppliedLsn
    {
        get { _lock.EnterReadLock(); try { return _applied; } finally { _lock.ExitReadLock(); } }
    }

    /// <summary>Number of keys.</summary>
    public int Count
    {
        get { _lock.EnterReadLock(); try { return _data.Count; } finally { _lock.ExitReadLock(); } }
    }

    /// <summary>The arena holding the small values (tests read its space figures; applier thread only).</summary>
    internal KvValueArena Values => _values;

    /// <summary>Bytes of the values packed in chunks that are live, and bytes of the chunks written so far that are still
    /// kept (live and dead values): how much memory the packed values take (see <see cref="KvValueArena"/>).</summary>
    public (long Live, long Kept) PackedValueBytes
    {
        get { _lock.EnterReadLock(); try { return (_values.LiveBytes, _values.UsedBytes); } finally { _lock.ExitReadLock(); } }
    }

    /// <summary>Number of tombstones kept (for status and tests).</summary>
    public int TombstoneCount
    {
        get { _lock.EnterReadLock(); try { return _tombstones.Count; } finally { _lock.ExitReadLock(); } }
    }

    /// <summary>
    /// A write payload as text an operator can read: <c>SET "k" "v"</c>, or <c>MULTI ... EXEC</c> with its
    /// watches; bytes that are not printable are escaped. Used by <c>akkarepl rollback show</c>.
    /// </summary>
    public static string Describe(ReadOnlyMemory<byte> payload)
    {
        if (payload.IsEmpty) return "(no-op)";
        try
        {
            var (commands, watches) = KvCodec.Decode(payload);
            static string Quote(ReadOnlyMemory<byte> b)
            {
                var sb = new StringBuilder("\"");
                foreach (var c in b.Span)
                    sb.Append(c is >= 0x20 and < 0x7f and not (byte)'"' and not (byte)'\\' ? ((char)c).ToString() : $"\\x{c:x2}");
                return sb.Append('"').ToString();
            }
            static string One(ReadOnlyMemory<byte>[] argv) =>
                Encoding.UTF8.GetString(argv[0].Span).ToUpperInvariant() + string.Concat(argv.Skip(1).Select(a => " " + Quote(a)));
            if (watches is null && commands.Count == 1) return One(commands[0]);
            var watched = watches is { Count: > 0 } ? "WATCH " + string.Join(" ", watches.Select(w => Quote(w.Key))) + "; " : "";
            return watched + "MULTI; " + string.Join("; ", commands.Select(One)) + "; EXEC";
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return $"(unreadable payload of {payload.Length} bytes: {ex.Message})";
        }
    }

    /// <summary>The WAL payload of one write command (argv as the client sent it, name first).</summary>
    public static byte[] EncodeCommand(IReadOnlyList<ReadOnlyMemory<byte>> argv)
    {
        ArgumentNullException.ThrowIfNull(argv);
        if (argv.Count == 0) throw new ArgumentException("a command needs at least its name", nameof(argv));
        return KvCodec.EncodeCommand(argv);
    }

    /// <summary><see cref="EncodeCommand"/> into a pooled buffer (<see cref="KvPayload"/>): the allocation-free form for a
    /// write path that returns it once the write completed (see <see cref="KvPayload"/> for when that is safe); any
    /// other caller may simply drop it.</summary>
    public static ReadOnlyMemory<byte> EncodeCommandPooled(IReadOnlyList<ReadOnlyMemory<byte>> argv)
    {
        ArgumentNullException.ThrowIfNull(argv);
        if (argv.Count == 0) throw new ArgumentException("a command needs at least its name", nameof(argv));
        return KvCodec.EncodeCommandPooled(argv);
    }

    /// <summary>The WAL payload of a MULTI/EXEC transaction: its queued commands and the versions its
    /// connection saw at WATCH time. Applied atomically as one record.</summary>
    public static byte[] EncodeTransaction(IReadOnlyList<IReadOnlyList<ReadOnlyMemory<byte>>> commands, IReadOnlyList<KvWatch> watches)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(watches);
        return KvCodec.EncodeTransaction(commands, watches);
    }

    /// <summary>
    /// Errors a write can be refused with before it is logged, so it costs no fsync: unknown command, arity,
    /// and syntax that needs no state (SET options, INCRBY/DECRBY increments, MSET pairs, FLUSHALL options).
    /// Null when the command would run. Applying a refused command gives the same error, so this is only a
    /// shortcut.
    /// </summary>
    public static KvReply? Precheck(IReadOnlyList<ReadOnlyMemory<byte>> argv)
    {
        var error = KvCommandTable.CheckArity(argv, out var info);
        if (error is not null) return error;
        switch (info!.Name)
        {
            case "set": return ParseSetOptions(argv, out _);
            case "incrby":
            case "decrby":
                if (!KvInt.TryParse(argv[2].Span, out var by)) return KvErrors.NotInteger;
                return info.Name == "decrby" && by == long.MinValue ? KvErrors.DecrementOverflow : null;
            case "mset": return argv.Count % 2 == 1 ? null : KvErrors.WrongArity("mset"); // name + key/value pairs
            case "flushall": return argv.Count == 1 || (argv.Count == 2 && IsFlushOption(argv[1].Span)) ? null : KvErrors.Syntax;
            default: return null;
        }
    }

    /// <summary>The version WATCH records for <paramref name="key"/>: the end LSN of the record of its last change, or for an
    /// absent key an upper bound of it (see the type's remarks). Zero for a key never touched since the start.</summary>
    public Lsn GetVersion(ReadOnlySpan<byte> key)
    {
        _lock.EnterReadLock();
        try { return new Lsn(VersionOf(key)); }
        finally { _lock.ExitReadLock(); }
    }

    /// <inheritdoc />
    public object? Apply(in CommittedEntry entry) => ApplyEntry(entry);

    /// <summary>Applies one record (see <see cref="IStateMachine.Apply"/>) and returns its typed reply: one
    /// command's reply, or for a transaction the array of replies or the nil array when a watched key changed.
    /// An empty payload is a no-op marker record: it only advances <see cref="AppliedLsn"/> (reply OK).</summary>
    /// <exception cref="AkkaRepl.Core.Errors.StorageCorruptException">The payload is not a key-value payload this
    /// node can read.</exception>
    [ThreadStatic] private static List<ReadOnlyMemory<byte>>? t_argv; // ApplyEntry's reused argv for one-command records

    public KvReply ApplyEntry(in CommittedEntry entry)
    {
        if (entry.Payload.IsEmpty)
        {
            // A marker record (e.g. the first record of a new generation): nothing to do but move AppliedLsn.
            _lock.EnterWriteLock();
            try
            {
                CheckOrder(entry);
                _applied = entry.EndLsn;
                return KvReply.Ok;
            }
            finally { _lock.ExitWriteLock(); }
        }
        var single = t_argv ??= new List<ReadOnlyMemory<byte>>(4);
        if (KvCodec.TryDecodeCommand(entry.Payload, single))
        {
            // One command (nearly every record): decoded into a reused list, no garbage.
            _lock.EnterWriteLock();
            try
            {
                CheckOrder(entry);
                var reply = Execute(single, entry.EndLsn.Value, allowWrites: true);
                _applied = entry.EndLsn;
                CompactStep();
                return reply;
            }
            finally
            {
                _lock.ExitWriteLock();
                single.Clear(); // its slices point into the payload
            }
        }
        var (commands, watches) = KvCodec.Decode(entry.Payload);
        _lock.EnterWriteLock();
        try
        {
            CheckOrder(entry);
            // A change's version is the END of its record: unique per record and never 0, so it cannot be
            // mistaken for "never touched" even for the record at LSN 0.
            var lsn = entry.EndLsn.Value;
            KvReply reply;
            if (watches is null)
                reply = Execute(commands[0], lsn, allowWrites: true);
            else if (!WatchesHold(watches))
                reply = KvReply.NilArray;
            else
            {
                var replies = new KvReply[commands.Count];
                for (var i = 0; i < replies.Length; i++) replies[i] = Execute(commands[i], lsn, allowWrites: true);
                reply = KvReply.FromArray(replies);
            }
            _applied = entry.EndLsn;
            CompactStep();
            return reply;
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>Runs one read-only command against applied state (any thread). A write command gets an
    /// error: writes go through the log.</summary>
    public KvReply ExecuteRead(IReadOnlyList<ReadOnlyMemory<byte>> argv)
    {
        _lock.EnterReadLock();
        try { return Execute(argv, 0, allowWrites: false); }
        finally { _lock.ExitReadLock(); }
    }

    /// <summary>Runs a transaction of read-only commands atomically without the log: the nil array when a
    /// watched key changed, else the array of replies.</summary>
    public KvReply ExecuteReadTransaction(IReadOnlyList<IReadOnlyList<ReadOnlyMemory<byte>>> commands, IReadOnlyList<KvWatch> watches)
    {
        _lock.EnterReadLock();
        try
        {
            if (!WatchesHold(watches)) return KvReply.NilArray;
            var replies = new KvReply[commands.Count];
            for (var i = 0; i < replies.Length; i++) replies[i] = Execute(commands[i], 0, allowWrites: false);
            return KvReply.FromArray(replies);
        }
        finally { _lock.ExitReadLock(); }
    }

    /// <inheritdoc />
    public IStateImage CaptureImage()
    {
        _lock.EnterReadLock();
        try
        {
            // O(shards): the map freezes its shards for the image and copies a shard only when it next changes;
            // values are never changed in place, so the image shares them safely.
            return new KvImage(_applied, _horizon, _data.Freeze(),
                new Dictionary<byte[], ulong>(_tombstones, ByteArrayComparer.Instance));
        }
        finally { _lock.ExitReadLock(); }
    }

    /// <inheritdoc />
    public Lsn Restore(Stream source)
    {
        var image = KvImage.Read(source);
        _lock.EnterWriteLock();
        try
        {
            _data = new KvShardedMap(image.Shards.SelectMany(shard => shard));
            _values = new KvValueArena(); // restored values keep the arrays they were read into; the old chunks go
            _tombstones = image.Tombstones;
            _tombstoneOrder = new Queue<(byte[], ulong)>(
                image.Tombstones.OrderBy(t => t.Value).Select(t => (t.Key, t.Value)));
            _horizon = image.Horizon;
            _applied = image.Lsn;
            return _applied;
        }
        finally { _lock.ExitWriteLock(); }
    }

    private void CheckOrder(in CommittedEntry entry)
    {
        if (entry.Lsn < _applied)
            throw new InvalidOperationException(
                $"entry at LSN {entry.Lsn} is before the applied LSN {_applied}: entries must be applied once, in order");
    }

    // ---- execution (callers hold the lock: the write lock when allowWrites) ----

    private KvReply Execute(IReadOnlyList<ReadOnlyMemory<byte>> argv, ulong lsn, bool allowWrites)
    {
        var error = KvCommandTable.CheckArity(argv, out var info);
        if (error is not null) return error;
        if (info!.IsConnection || info.IsTransactionControl)
            return KvReply.Error($"ERR '{info.Name}' is not a key-value command");
        if (info.IsWrite && !allowWrites) return KvErrors.NotReadOnly(info.Name);
        return info.Name switch
        {
            "get" => Bulk(Find(argv[1].Span)),
            "exists" => Exists(argv),
            "strlen" => KvReply.FromInteger(Find(argv[1].Span)?.Length ?? 0),
            "mget" => MGet(argv),
            "dbsize" => KvReply.FromInteger(_data.Count),
            "type" => Find(argv[1].Span) is null ? NoneType : StringType,
            "ttl" or "pttl" => KvReply.FromInteger(Find(argv[1].Span) is null ? -2 : -1), // -1: no expiry (none exists)
            "setnx" => SetNx(argv, lsn),
            "getset" => GetSet(argv, lsn),
            "getdel" => GetDel(argv, lsn),
            "set" => Set(argv, lsn),
            "del" => Del(argv, lsn),
            "incr" => IncrBy(argv[1], 1, lsn),
            "decr" => IncrBy(argv[1], -1, lsn),
            "incrby" => KvInt.TryParse(argv[2].Span, out var up) ? IncrBy(argv[1], up, lsn) : KvErrors.NotInteger,
            "decrby" => DecrBy(argv, lsn),
            "append" => Append(argv, lsn),
            "mset" => MSet(argv, lsn),
            "flushall" => FlushAll(argv, lsn),
            _ => KvCommandTable.UnknownCommand(argv),
        };
    }

    private static readonly KvReply NoneType = KvReply.Simple("none");
    private static readonly KvReply StringType = KvReply.Simple("string");

    private KvReply SetNx(IReadOnlyList<ReadOnlyMemory<byte>> argv, ulong lsn)
    {
        if (Find(argv[1].Span) is not null) return KvReply.Zero;
        Put(argv[1].Span, argv[2].Span, lsn);
        return KvReply.One;
    }

    private KvReply GetSet(IReadOnlyList<ReadOnlyMemory<byte>> argv, ulong lsn)
    {
        var old = Find(argv[1].Span);
        Put(argv[1].Span, argv[2].Span, lsn);
        return Bulk(old); // the old slice stays readable: chunks are never written twice
    }

    private KvReply GetDel(IReadOnlyList<ReadOnlyMemory<byte>> argv, ulong lsn)
    {
        var old = Find(argv[1].Span);
        if (old is not null) Remove(argv[1].Span, lsn);
        return Bulk(old);
    }

    private KvEntry? Find(ReadOnlySpan<byte> key) =>
        _data.TryGet(key, out var entry) ? entry : null;

    private static KvReply Bulk(KvEntry? entry) => entry is { } e ? KvReply.FromBulk(e.Memory) : KvReply.Nil;

    private KvReply Exists(IReadOnlyList<ReadOnlyMemory<byte>> argv)
    {
        long count = 0;
        for (var i = 1; i < argv.Count; i++)
            if (_data.ContainsKey(argv[i].Span)) count++;
        return KvReply.FromInteger(count);
    }

    private KvReply MGet(IReadOnlyList<ReadOnlyMemory<byte>> argv)
    {
        var items = new KvReply[argv.Count - 1];
        for (var i = 1; i < argv.Count; i++) items[i - 1] = Bulk(Find(argv[i].Span));
        return KvReply.FromArray(items);
    }

    private KvReply Set(IReadOnlyList<ReadOnlyMemory<byte>> argv, ulong lsn)
    {
        var error = ParseSetOptions(argv, out var options);
        if (error is not null) return error;
        var old = Find(argv[1].Span);
        var exists = old is not null;
        var conditionMet = !((options.Nx && exists) || (options.Xx && !exists));
        if (conditionMet) Put(argv[1].Span, argv[2].Span, lsn);
        if (options.Get) return Bulk(old);
        return conditionMet ? KvReply.Ok : KvReply.Nil;
    }

    private readonly record struct SetOptions(bool Nx, bool Xx, bool Get);

    private static KvReply? ParseSetOptions(IReadOnlyList<ReadOnlyMemory<byte>> argv, out SetOptions options)
    {
        bool nx = false, xx = false, get = false, keepTtl = false, expire = false;
        options = default;
        for (var j = 3; j < argv.Count; j++)
        {
            var opt = argv[j].Span;
            var hasNext = j + 1 < argv.Count;
            if (Is(opt, "NX") && !xx) nx = true;
            else if (Is(opt, "XX") && !nx) xx = true;
            else if (Is(opt, "GET")) get = true;
            else if (Is(opt, "KEEPTTL") && !expire) keepTtl = true;
            else if ((Is(opt, "EX") || Is(opt, "PX") || Is(opt, "EXAT") || Is(opt, "PXAT")) && !keepTtl && !expire && hasNext)
            {
                expire = true;
                j++;
                if (!KvInt.TryParse(argv[j].Span, out var when)) return KvErrors.NotInteger;
                if (when <= 0) return KvErrors.InvalidSetExpire;
            }
            else return KvErrors.Syntax;
        }
        // No key ever has a time to live here, so KEEPTTL is a no-op; a new expiry cannot be honoured.
        if (expire) return KvErrors.ExpiryUnsupported;
        options = new SetOptions(nx, xx, get);
        return null;
    }

    private static bool Is(ReadOnlySpan<byte> arg, string upper)
    {
        if (arg.Length != upper.Length) return false;
        for (var i = 0; i < arg.Length; i++)
            if ((arg[i] & 0xDF) != upper[i]) return false;
        return true;
    }

    private static bool IsFlushOption(ReadOnlySpan<byte> arg) => Is(arg, "ASYNC") || Is(arg, "SYNC");

    private KvReply Del(IReadOnlyList<ReadOnlyMemory<byte>> argv, ulong lsn)
    {
        long deleted = 0;
        for (var i = 1; i < argv.Count; i++)
            if (Remove(argv[i].Span, lsn)) deleted++;
        return KvReply.FromInteger(deleted);
    }

    private KvReply DecrBy(IReadOnlyList<ReadOnlyMemory<byte>> argv, ulong lsn)
    {
        if (!KvInt.TryParse(argv[2].Span, out var by)) return KvErrors.NotInteger;
        return by == long.MinValue ? KvErrors.DecrementOverflow : IncrBy(argv[1], -by, lsn);
    }

    private KvReply IncrBy(ReadOnlyMemory<byte> key, long increment, ulong lsn)
    {
        long current = 0;
        if (Find(key.Span) is { } entry && !KvInt.TryParse(entry.Span, out current)) return KvErrors.NotInteger;
        if ((increment < 0 && current < 0 && increment < long.MinValue - current) ||
            (increment > 0 && current > 0 && increment > long.MaxValue - current))
            return KvErrors.Overflow;
        var result = current + increment;
        Put(key.Span, KvInt.Format(result), lsn);
        return KvReply.FromInteger(result);
    }

    private KvReply Append(IReadOnlyList<ReadOnlyMemory<byte>> argv, ulong lsn)
    {
        var old = Find(argv[1].Span) ?? default;
        var suffix = argv[2].Span;
        if ((long)old.Length + suffix.Length > MaxValueBytes) return KvErrors.TooLarge;
        var value = _values.Append(old, suffix, lsn);
        Put(argv[1].Span, value);
        return KvReply.FromInteger(value.Length);
    }

    private KvReply MSet(IReadOnlyList<ReadOnlyMemory<byte>> argv, ulong lsn)
    {
        if (argv.Count % 2 == 0) return KvErrors.WrongArity("mset");
        for (var i = 1; i < argv.Count; i += 2) Put(argv[i].Span, argv[i + 1].Span, lsn);
        return KvReply.Ok;
    }

    private KvReply FlushAll(IReadOnlyList<ReadOnlyMemory<byte>> argv, ulong lsn)
    {
        if (argv.Count > 2 || (argv.Count == 2 && !IsFlushOption(argv[1].Span))) return KvErrors.Syntax;
        _data = new KvShardedMap();
        _values = new KvValueArena(); // the old chunks go once no image or reply holds them
        _tombstones.Clear();
        _tombstoneOrder.Clear();
        // Every absent key now reports this LSN, so any WATCH taken before the flush aborts.
        _horizon = Math.Max(_horizon, lsn);
        return KvReply.Ok;
    }

    private void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong lsn) => Put(key, _values.Store(value, lsn));

    private void Put(ReadOnlySpan<byte> key, KvEntry entry)
    {
        var existed = _data.Set(key, entry, out var old);
        if (existed) _values.Release(old);
        if (!existed && _tombstones.Count > 0)
            _tombstones.GetAlternateLookup<ReadOnlySpan<byte>>().Remove(key);
    }

    /// <summary>While the value arena's dead space is over its live bytes, moves the values of one shard that sit in
    /// sparse chunks into the newest chunk (a shard holds about 1/256 of the keys: a short step per record, never a
    /// long stop). Moving changes no key, value or version, so replies, images and digests are the same.</summary>
    private void CompactStep()
    {
        if (!_values.NeedsCompaction) return; // nearly always: no closure is made for it (see CompactShard)
        CompactShard(_values, _compactShard);
        _compactShard = (_compactShard + 1) % KvShardedMap.ShardCount;
    }

    private void CompactShard(KvValueArena values, int shard) =>
        _data.Relocate(shard, e => values.IsSparse(e), e =>
        {
            var copy = values.Store(e.Span, e.Version);
            values.Release(e);
            return copy;
        });

    private bool Remove(ReadOnlySpan<byte> key, ulong lsn)
    {
        if (!_data.Remove(key, out var storedKey, out var old)) return false;
        _values.Release(old);
        _tombstones[storedKey] = lsn;
        _tombstoneOrder.Enqueue((storedKey, lsn));
        PruneTombstones();
        return true;
    }

    private void PruneTombstones()
    {
        while (_tombstones.Count > _maxTombstones && _tombstoneOrder.TryDequeue(out var oldest))
        {
            // Entries whose key was re-created or deleted again since are stale: skip them.
            if (_tombstones.TryGetValue(oldest.Key, out var lsn) && lsn == oldest.Lsn)
            {
                _tombstones.Remove(oldest.Key);
                _horizon = Math.Max(_horizon, lsn);
            }
        }
        // Stale entries pile up when keys are deleted and re-created often: rebuild the queue from the live set.
        if (_tombstoneOrder.Count > 2 * _maxTombstones + 1024)
            _tombstoneOrder = new Queue<(byte[], ulong)>(_tombstones.OrderBy(t => t.Value).Select(t => (t.Key, t.Value)));
    }

    private ulong VersionOf(ReadOnlySpan<byte> key)
    {
        if (_data.TryGet(key, out var entry)) return entry.Version;
        return _tombstones.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(key, out var deleted)
            ? Math.Max(deleted, _horizon)
            : _horizon;
    }

    private bool WatchesHold(IReadOnlyList<KvWatch> watches)
    {
        for (var i = 0; i < watches.Count; i++)
            if (VersionOf(watches[i].Key.Span) != watches[i].Version.Value) return false;
        return true;
    }

}
