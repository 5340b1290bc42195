using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using AkkaRepl.Core.Errors;

namespace AkkaRepl.Hosting.StateMachines;

/// <summary>
/// The WAL payload of an application command. Byte 0 is <see cref="Marker"/> (the key-value store's payloads start
/// with their format version 1, so the two never collide), byte 1 the format version, then the command's type name
/// (uint16 little-endian length + UTF-8) and its JSON. The type name is the full name of the command's own type, so
/// derived records need no attributes; every node must run the same command types.
/// </summary>
internal static class CommandCodec
{
    public const byte Marker = 0xA5;
    public const byte FormatVersion = 1;

    public static bool IsApplicationCommand(ReadOnlySpan<byte> payload) => payload.Length > 0 && payload[0] == Marker;

    public static byte[] Encode<TCommand>(TCommand command) where TCommand : class
    {
        ArgumentNullException.ThrowIfNull(command);
        var type = command.GetType();
        var name = Encoding.UTF8.GetBytes(type.FullName!);
        var json = JsonSerializer.SerializeToUtf8Bytes(command, type);
        var buffer = new byte[4 + name.Length + json.Length];
        buffer[0] = Marker;
        buffer[1] = FormatVersion;
        BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(2), checked((ushort)name.Length));
        name.CopyTo(buffer.AsSpan(4));
        json.CopyTo(buffer.AsSpan(4 + name.Length));
        return buffer;
    }

    /// <summary>Decodes a payload into one of <paramref name="types"/> (by full name).</summary>
    /// <exception cref="StorageCorruptException">The payload is not a command this node knows.</exception>
    public static object Decode(ReadOnlyMemory<byte> payload, IReadOnlyDictionary<string, Type> types)
    {
        var span = payload.Span;
        if (span.Length < 4 || span[0] != Marker)
            throw new StorageCorruptException($"an application command payload of {span.Length} bytes has no valid header");
        if (span[1] != FormatVersion)
            throw new StorageCorruptException($"an application command has format version {span[1]}; this node reads only version {FormatVersion}: upgrade the node");
        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(span[2..]);
        if (span.Length < 4 + nameLength)
            throw new StorageCorruptException("an application command payload is shorter than its type name");
        var name = Encoding.UTF8.GetString(span.Slice(4, nameLength));
        if (!types.TryGetValue(name, out var type))
            throw new StorageCorruptException($"the log holds a command of type {name}, which this node's state machine does not declare: every node must run the same application version");
        return JsonSerializer.Deserialize(span[(4 + nameLength)..], type)
            ?? throw new StorageCorruptException($"a command of type {name} decoded as null");
    }

    /// <summary>TCommand and every concrete type derived from it in its assembly, by full name.</summary>
    public static IReadOnlyDictionary<string, Type> CommandTypes<TCommand>() =>
        typeof(TCommand).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(TCommand).IsAssignableFrom(t) && t.FullName is not null)
            .ToDictionary(t => t.FullName!, StringComparer.Ordinal);
}
