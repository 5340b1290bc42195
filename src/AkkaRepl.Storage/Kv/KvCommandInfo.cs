namespace AkkaRepl.Storage.Kv;

/// <summary>
/// One command's entry in <see cref="KvCommandTable"/>. <paramref name="Arity"/> counts the command name
/// itself, as Redis does: positive = exactly that many arguments, negative = at least -Arity.
/// Key positions are argv indexes (0 = no keys; <paramref name="LastKey"/> -1 = the last argument).
/// </summary>
public sealed record KvCommandInfo(string Name, int Arity, KvCommandFlags Flags, int FirstKey, int LastKey, int Step)
{
    /// <summary>Changes state: goes through the log; refused on a replica.</summary>
    public bool IsWrite => (Flags & KvCommandFlags.Write) != 0;
    /// <summary>Reads applied state only.</summary>
    public bool IsReadOnly => (Flags & KvCommandFlags.ReadOnly) != 0;
    /// <summary>Answered by the protocol layer (PING, HELLO...).</summary>
    public bool IsConnection => (Flags & KvCommandFlags.Connection) != 0;
    /// <summary>MULTI, EXEC, DISCARD, WATCH or UNWATCH.</summary>
    public bool IsTransactionControl => (Flags & KvCommandFlags.Transaction) != 0;

    /// <summary>True when <paramref name="argc"/> arguments (name included) satisfy the arity.</summary>
    public bool AcceptsArgumentCount(int argc) => Arity >= 0 ? argc == Arity : argc >= -Arity;
}
