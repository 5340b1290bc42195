using System.Text.Json;
using System.Text.Json.Serialization;

namespace AkkaRepl.Testing.Histories;

/// <summary>The JSON form of histories: one <see cref="Operation"/> per line, camelCase, enums as strings.</summary>
internal static class HistoryJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
