namespace AkkaRepl.Storage.Kv;

/// <summary>Redis's exact error texts (from its sources), so clients and their tests see what they expect.</summary>
internal static class KvErrors
{
    public static readonly KvReply NotInteger = KvReply.Error("ERR value is not an integer or out of range");
    public static readonly KvReply Overflow = KvReply.Error("ERR increment or decrement would overflow");
    public static readonly KvReply DecrementOverflow = KvReply.Error("ERR decrement would overflow");
    public static readonly KvReply Syntax = KvReply.Error("ERR syntax error");
    public static readonly KvReply TooLarge = KvReply.Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    public static readonly KvReply InvalidSetExpire = KvReply.Error("ERR invalid expire time in 'set' command");
    public static readonly KvReply ExpiryUnsupported = KvReply.Error(
        "ERR key expiry (EX, PX, EXAT, PXAT) is not supported by this server");

    public static KvReply WrongArity(string lowerName) =>
        KvReply.Error($"ERR wrong number of arguments for '{lowerName}' command");

    public static KvReply NotReadOnly(string lowerName) =>
        KvReply.Error($"ERR '{lowerName}' changes state and must be written through the log");
}
