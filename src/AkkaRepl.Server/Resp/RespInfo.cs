using System.Text;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Server.Resp;

/// <summary>The answers of the connection-level introspection commands: INFO, COMMAND, CONFIG GET, HELLO.</summary>
internal static class RespInfo
{
    /// <summary>The Redis version this server presents itself as, for clients that pick features by version.</summary>
    public const string RedisVersion = "7.2.0";

    public static string Info(IKvBackend backend, int connectedClients, IReadOnlyList<string> sections)
    {
        var parts = new List<string>();
        if (sections.Count == 0) sections = ["default"];
        foreach (var section in sections)
        {
            switch (section)
            {
                case "default" or "all" or "everything":
                    parts.Add(backend.GetInfo(null));
                    parts.Add(Clients(connectedClients));
                    parts.Add(Keyspace(backend.Store.Count));
                    break;
                case "clients": parts.Add(Clients(connectedClients)); break;
                case "keyspace": parts.Add(Keyspace(backend.Store.Count)); break;
                default: parts.Add(backend.GetInfo(section)); break;
            }
        }
        return string.Join("\r\n", parts.Where(p => p.Length > 0));
    }

    private static string Clients(int connected) => $"# Clients\r\nconnected_clients:{connected}\r\n";

    private static string Keyspace(int keys) =>
        keys == 0 ? "# Keyspace\r\n" : $"# Keyspace\r\ndb0:keys={keys},expires=0,avg_ttl=0\r\n";

    public static KvReply CommandEntry(KvCommandInfo info)
    {
        var flags = new List<KvReply>();
        if (info.IsWrite) { flags.Add(KvReply.Simple("write")); flags.Add(KvReply.Simple("denyoom")); }
        if (info.IsReadOnly) flags.Add(KvReply.Simple("readonly"));
        if ((info.Flags & KvCommandFlags.Fast) != 0) flags.Add(KvReply.Simple("fast"));
        if (info.IsConnection || info.IsTransactionControl)
        {
            flags.Add(KvReply.Simple("loading"));
            flags.Add(KvReply.Simple("stale"));
        }
        if (info.IsTransactionControl) flags.Add(KvReply.Simple("noscript"));
        return KvReply.FromArray([
            KvReply.FromString(info.Name),
            KvReply.FromInteger(info.Arity),
            KvReply.FromArray(flags),
            KvReply.FromInteger(info.FirstKey),
            KvReply.FromInteger(info.LastKey),
            KvReply.FromInteger(info.Step),
            KvReply.EmptyArray, // ACL categories
            KvReply.EmptyArray, // tips
            KvReply.EmptyArray, // key specifications
            KvReply.EmptyArray, // subcommands
        ]);
    }

    public static IEnumerable<(string Name, string Value)> Config(Core.Options.RespOptions options, bool acceptsWrites) =>
    [
        ("save", ""),
        ("appendonly", "yes"),
        ("databases", "1"),
        ("timeout", "0"),
        ("slave-read-only", "yes"),
        ("replica-read-only", "yes"),
        ("maxclients", options.MaxConnections.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("proto-max-bulk-len", options.MaxBulkBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("cluster-enabled", "no"),
        ("role", acceptsWrites ? "master" : "replica"),
    ];

    /// <summary>Redis's glob match (<c>*</c>, <c>?</c>, <c>[...]</c> not supported), case-insensitive.</summary>
    public static bool GlobMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        while (pattern.Length > 0)
        {
            if (pattern[0] == '*')
            {
                pattern = pattern.TrimStart('*');
                if (pattern.Length == 0) return true;
                for (var i = 0; i <= text.Length; i++)
                    if (GlobMatch(pattern, text[i..])) return true;
                return false;
            }
            if (text.Length == 0) return false;
            if (pattern[0] != '?' && char.ToLowerInvariant(pattern[0]) != char.ToLowerInvariant(text[0])) return false;
            pattern = pattern[1..];
            text = text[1..];
        }
        return text.Length == 0;
    }

    public static string Lower(ReadOnlyMemory<byte> arg) => Encoding.UTF8.GetString(arg.Span).ToLowerInvariant();
}
