using System.Globalization;
using System.Net;
using System.Text.Json;

namespace AkkaRepl.Testing.Waits;

/// <summary>Reads a node's <c>GET /status</c> JSON into a <see cref="NodeStatus"/>.</summary>
public sealed class StatusClient : IDisposable
{
    private readonly HttpClient _http;

    /// <summary>A client for the node whose HTTP endpoint is 127.0.0.1:<paramref name="httpPort"/>.</summary>
    public StatusClient(int httpPort, TimeSpan? timeout = null)
        : this(new Uri($"http://{IPAddress.Loopback}:{httpPort.ToString(CultureInfo.InvariantCulture)}/"), timeout)
    {
    }

    /// <summary>A client for the node at <paramref name="baseAddress"/>.</summary>
    public StatusClient(Uri baseAddress, TimeSpan? timeout = null)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(5) };
    }

    /// <summary>GET /status, parsed.</summary>
    /// <exception cref="HttpRequestException">Not reachable or not 2xx.</exception>
    /// <exception cref="FormatException">The body lacks a required field; the message shows the body.</exception>
    public async Task<NodeStatus> GetAsync(CancellationToken ct = default)
    {
        using var response = await _http.GetAsync("status", ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"GET /status returned {(int)response.StatusCode}: {body}", null, response.StatusCode);
        return Parse(body);
    }

    /// <summary>Parses a /status document.</summary>
    /// <exception cref="FormatException">Not JSON, or a required field is missing or of the wrong type.</exception>
    public static NodeStatus Parse(string json)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new FormatException($"/status is not JSON: {e.Message}. Body: {json}", e);
        }
        return new NodeStatus(Text("nodeId"), Text("role"), Number("generation"), Number("writtenLsn"), Number("flushedLsn"), Number("appliedLsn"), root);

        JsonElement Field(string name) =>
            root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value)
                ? value
                : throw new FormatException($"/status lacks \"{name}\". Body: {json}");

        string Text(string name) =>
            Field(name) is { ValueKind: JsonValueKind.String } value
                ? value.GetString()!
                : throw new FormatException($"/status \"{name}\" is not a string. Body: {json}");

        // Numbers may come as JSON numbers or as strings (64-bit LSNs in JavaScript-friendly JSON).
        long Number(string name) => Field(name) switch
        {
            { ValueKind: JsonValueKind.Number } n when n.TryGetInt64(out var v) => v,
            { ValueKind: JsonValueKind.String } s when long.TryParse(s.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) => v,
            _ => throw new FormatException($"/status \"{name}\" is not an integer. Body: {json}"),
        };
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
