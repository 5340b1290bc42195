using System.Text.Json;

namespace AkkaRepl.Server.Http;

/// <summary>JSON settings of the admin API: camelCase names, as the harness and operators' scripts expect.</summary>
internal static class StatusJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}
