namespace AkkaRepl.Core.Errors;

/// <summary>The base of every error the runtime raises on purpose; its message is written for the user.</summary>
public class AkkaReplException : Exception
{
    public AkkaReplException(string message) : base(message) { }
    public AkkaReplException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>Bad configuration: the message names the file, line and column, or the key's path and its allowed range.</summary>
public sealed class ConfigException : AkkaReplException
{
    public ConfigException(string message) : base(message) { }
    public ConfigException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The data on disk cannot be trusted or used (bad version, corruption outside the torn tail, missing segment).</summary>
public sealed class StorageCorruptException : AkkaReplException
{
    public StorageCorruptException(string message) : base(message) { }
}

/// <summary>The disk refused a write (full, read-only, I/O error). Nothing past the last durable position was acknowledged.</summary>
public sealed class StorageUnavailableException : AkkaReplException
{
    public StorageUnavailableException(string message, Exception inner) : base(message, inner) { }
}
