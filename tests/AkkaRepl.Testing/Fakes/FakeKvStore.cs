using System.Globalization;
using AkkaRepl.Testing.Resp;

namespace AkkaRepl.Testing.Fakes;

/// <summary>
/// An in-memory key/value node behind a <see cref="FakeRespServer"/>: PING, SET, GET, INCR, WATCH, UNWATCH, MULTI,
/// EXEC, DISCARD, with Redis semantics (EXEC returns nil when a watched key changed), and optional planted bugs.
/// Every command runs under one lock, so without faults the store is linearizable.
/// </summary>
public sealed class FakeKvStore(FakeKvFaults? faults = null)
{
    private const string WatchedItem = "watched";
    private const string QueueItem = "queue";
    private readonly object _gate = new();
    private readonly Dictionary<string, string> _data = new();
    private readonly Dictionary<string, string?> _previous = new();
    private readonly Dictionary<string, long> _versions = new();
    private readonly FakeKvFaults _faults = faults ?? new FakeKvFaults();
    private long _writes;
    private long _reads;
    private int _lostWrites;
    private int _staleReads;

    /// <summary>Writes acknowledged but dropped by the planted bug.</summary>
    public int LostWrites => Volatile.Read(ref _lostWrites);

    /// <summary>Reads answered with a stale value by the planted bug.</summary>
    public int StaleReads => Volatile.Read(ref _staleReads);

    /// <summary>A copy of the current state (the "final state" of this node).</summary>
    public IReadOnlyDictionary<string, string?> Snapshot()
    {
        lock (_gate)
            return _data.ToDictionary(kv => kv.Key, kv => (string?)kv.Value);
    }

    /// <summary>Serves one command; plug into <see cref="FakeRespServer.Start"/>.</summary>
    public ValueTask<RespValue?> HandleAsync(FakeRespSession session, IReadOnlyList<string> command)
    {
        lock (_gate)
            return ValueTask.FromResult<RespValue?>(Handle(session, command));
    }

    private RespValue Handle(FakeRespSession session, IReadOnlyList<string> command)
    {
        var name = command[0].ToUpperInvariant();
        if (session.Items.TryGetValue(QueueItem, out var q) && q is List<IReadOnlyList<string>> queue && name is not ("EXEC" or "DISCARD" or "MULTI" or "WATCH"))
        {
            queue.Add(command);
            return RespValue.Simple("QUEUED");
        }
        switch (name)
        {
            case "PING":
                return RespValue.Simple("PONG");
            case "WATCH":
                Arity(command, 2, int.MaxValue);
                var watched = Watched(session);
                foreach (var key in command.Skip(1))
                    watched[key] = Version(key);
                return RespValue.Ok;
            case "UNWATCH":
                session.Items.Remove(WatchedItem);
                return RespValue.Ok;
            case "MULTI":
                if (session.Items.ContainsKey(QueueItem))
                    return RespValue.Error("ERR MULTI calls can not be nested");
                session.Items[QueueItem] = new List<IReadOnlyList<string>>();
                return RespValue.Ok;
            case "DISCARD":
                session.Items.Remove(QueueItem);
                session.Items.Remove(WatchedItem);
                return RespValue.Ok;
            case "EXEC":
                return Exec(session);
            default:
                return Execute(command);
        }
    }

    private RespValue Exec(FakeRespSession session)
    {
        if (!session.Items.Remove(QueueItem, out var q) || q is not List<IReadOnlyList<string>> queue)
            return RespValue.Error("ERR EXEC without MULTI");
        var watched = Watched(session);
        session.Items.Remove(WatchedItem);
        if (watched.Any(w => Version(w.Key) != w.Value))
            return RespValue.Nil;
        return RespValue.Array(queue.Select(Execute).ToArray());
    }

    private RespValue Execute(IReadOnlyList<string> command)
    {
        switch (command[0].ToUpperInvariant())
        {
            case "SET":
                Arity(command, 3, 3);
                Write(command[1], command[2]);
                return RespValue.Ok;
            case "GET":
                Arity(command, 2, 2);
                return RespValue.Bulk(Read(command[1]));
            case "INCR":
                Arity(command, 2, 2);
                var current = _data.TryGetValue(command[1], out var text) ? text : "0";
                if (!long.TryParse(current, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
                    return RespValue.Error("ERR value is not an integer or out of range");
                Apply(command[1], (n + 1).ToString(CultureInfo.InvariantCulture));
                return RespValue.FromInteger(n + 1);
            default:
                return RespValue.Error($"ERR unknown command '{command[0]}'");
        }
    }

    private void Write(string key, string value)
    {
        var count = ++_writes;
        if (_faults.LoseEveryNthAcknowledgedWrite is { } n && count % n == 0)
        {
            _lostWrites++;
            return;
        }
        Apply(key, value);
    }

    private string? Read(string key)
    {
        var count = ++_reads;
        if (_faults.StaleEveryNthRead is { } n && count % n == 0 && _previous.TryGetValue(key, out var stale))
        {
            _staleReads++;
            return stale;
        }
        return _data.TryGetValue(key, out var value) ? value : null;
    }

    private void Apply(string key, string value)
    {
        _previous[key] = _data.TryGetValue(key, out var old) ? old : null;
        _data[key] = value;
        _versions[key] = Version(key) + 1;
    }

    private long Version(string key) => _versions.TryGetValue(key, out var v) ? v : 0;

    private static Dictionary<string, long> Watched(FakeRespSession session)
    {
        if (session.Items.TryGetValue(WatchedItem, out var w) && w is Dictionary<string, long> watched)
            return watched;
        watched = new Dictionary<string, long>();
        session.Items[WatchedItem] = watched;
        return watched;
    }

    private static void Arity(IReadOnlyList<string> command, int min, int max)
    {
        if (command.Count < min || command.Count > max)
            throw new ArgumentException($"wrong number of arguments for '{command[0]}' command");
    }
}
