using System.Text;

namespace AkkaRepl.Storage.Kv;

/// <summary>
/// Every command this node understands, with Redis's arity and key positions, used by the RESP layer to
/// answer arity and unknown-command errors, to route (write / read / connection / transaction control) and
/// to answer COMMAND. Lookups by name are case-insensitive and do not allocate.
/// </summary>
public static class KvCommandTable
{
    private const KvCommandFlags W = KvCommandFlags.Write;
    private const KvCommandFlags R = KvCommandFlags.ReadOnly;
    private const KvCommandFlags C = KvCommandFlags.Connection;
    private const KvCommandFlags T = KvCommandFlags.Transaction;
    private const KvCommandFlags F = KvCommandFlags.Fast;

    private static readonly Dictionary<string, KvCommandInfo> ByName = Build(
        new("get", 2, R | F, 1, 1, 1),
        new("set", -3, W, 1, 1, 1),
        new("del", -2, W, 1, -1, 1),
        new("exists", -2, R | F, 1, -1, 1),
        new("incr", 2, W | F, 1, 1, 1),
        new("incrby", 3, W | F, 1, 1, 1),
        new("decr", 2, W | F, 1, 1, 1),
        new("decrby", 3, W | F, 1, 1, 1),
        new("append", 3, W | F, 1, 1, 1),
        new("strlen", 2, R | F, 1, 1, 1),
        new("mget", -2, R | F, 1, -1, 1),
        new("mset", -3, W, 1, -1, 2),
        new("setnx", 3, W | F, 1, 1, 1),
        new("getset", 3, W | F, 1, 1, 1),
        new("getdel", 2, W | F, 1, 1, 1),
        new("type", 2, R | F, 1, 1, 1),
        new("ttl", 2, R | F, 1, 1, 1),
        new("pttl", 2, R | F, 1, 1, 1),
        new("dbsize", 1, R | F, 0, 0, 0),
        new("flushall", -1, W, 0, 0, 0),
        new("multi", 1, T | F, 0, 0, 0),
        new("exec", 1, T, 0, 0, 0),
        new("discard", 1, T | F, 0, 0, 0),
        new("watch", -2, T | F, 1, -1, 1),
        new("unwatch", 1, T | F, 0, 0, 0),
        new("ping", -1, C | F, 0, 0, 0),
        new("echo", 2, C | F, 0, 0, 0),
        new("select", 2, C | F, 0, 0, 0),
        new("quit", -1, C | F, 0, 0, 0),
        new("hello", -1, C | F, 0, 0, 0),
        new("command", -1, C, 0, 0, 0),
        new("info", -1, C, 0, 0, 0),
        new("client", -2, C, 0, 0, 0),
        new("config", -2, C, 0, 0, 0),
        new("role", 1, C | F, 0, 0, 0),
        new("wait", 3, C, 0, 0, 0),
        new("durability", -1, C | F, 0, 0, 0),
        new("lastlsn", 1, C | F, 0, 0, 0),
        new("consistency", -1, C | F, 0, 0, 0),
        new("appliedlsn", 1, C | F, 0, 0, 0),
        new("auth", -2, C | F, 0, 0, 0));

    private static readonly Dictionary<string, KvCommandInfo>.AlternateLookup<ReadOnlySpan<char>> BySpan =
        ByName.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>All commands, in table order.</summary>
    public static IReadOnlyCollection<KvCommandInfo> All => ByName.Values;

    /// <summary>The command named by <paramref name="name"/> (any case), or null when unknown.</summary>
    public static KvCommandInfo? Find(ReadOnlySpan<byte> name)
    {
        if (name.Length is 0 or > 16) return null;
        Span<char> chars = stackalloc char[name.Length];
        for (var i = 0; i < name.Length; i++) chars[i] = (char)name[i];
        return BySpan.TryGetValue(chars, out var info) ? info : null;
    }

    /// <summary>The command named <paramref name="name"/> (any case), or null when unknown.</summary>
    public static KvCommandInfo? Find(string name) => ByName.TryGetValue(name, out var info) ? info : null;

    /// <summary>
    /// The error Redis gives before running a command: unknown command or wrong number of arguments; null
    /// when <paramref name="argv"/> names a known command with an acceptable argument count.
    /// </summary>
    public static KvReply? CheckArity(IReadOnlyList<ReadOnlyMemory<byte>> argv, out KvCommandInfo? info)
    {
        info = argv.Count == 0 ? null : Find(argv[0].Span);
        if (info is null) return UnknownCommand(argv);
        return info.AcceptsArgumentCount(argv.Count) ? null : KvErrors.WrongArity(info.Name);
    }

    /// <summary>Redis's unknown-command error: the name (up to 128 bytes) and the first arguments, each quoted
    /// and followed by a space, while the argument text is under 128 characters.</summary>
    public static KvReply UnknownCommand(IReadOnlyList<ReadOnlyMemory<byte>> argv)
    {
        var name = argv.Count == 0 ? "" : Decode(argv[0].Span, 128);
        var args = new StringBuilder();
        for (var i = 1; i < argv.Count && args.Length < 128; i++)
        {
            var room = 128 - args.Length; // Redis: "'%.*s' " with 128 minus what is already written
            args.Append('\'').Append(Decode(argv[i].Span, room)).Append("' ");
        }
        return KvReply.Error($"ERR unknown command '{name}', with args beginning with: {args}");
    }

    private static string Decode(ReadOnlySpan<byte> bytes, int max) =>
        Encoding.UTF8.GetString(bytes.Length > max ? bytes[..max] : bytes);

    private static Dictionary<string, KvCommandInfo> Build(params KvCommandInfo[] infos)
    {
        var map = new Dictionary<string, KvCommandInfo>(StringComparer.OrdinalIgnoreCase);
        foreach (var info in infos) map.Add(info.Name, info);
        return map;
    }
}
