using System.Net.Http.Json;
using AkkaRepl.Core.Errors;
using AkkaRepl.Server.Http;
using AkkaRepl.Server.Node;
using AkkaRepl.Storage.Digest;

namespace AkkaRepl.Server.Verify;

/// <summary>The digest queries of a verification, over nodes' HTTP admin endpoints. Errors become
/// <see cref="AkkaReplException"/> naming the node and what it said.</summary>
internal sealed class DigestClient(TimeSpan digestTimeout, string? token = null, Cli.NodeHttp? nodes = null) : IDisposable
{
    private readonly Cli.NodeHttp _nodes = nodes ?? Cli.NodeHttp.Plain;
    private readonly HttpClient _http = Authorized((nodes ?? Cli.NodeHttp.Plain).CreateClient(digestTimeout + TimeSpan.FromSeconds(10)), token);

    private static HttpClient Authorized(HttpClient http, string? token)
    {
        Cli.AdminTokenOption.Authorize(http, token);
        return http;
    }

    public Task<NodeStatus> StatusAsync(string node, CancellationToken ct) => GetAsync<NodeStatus>(node, "/status", ct);

    public async Task<DigestMark> MarkAsync(string node, CancellationToken ct) =>
        await SendAsync<DigestMark>(node, HttpMethod.Post, "/admin/digest/mark", ct).ConfigureAwait(false);

    public Task<NodeDigest> DigestAsync(string node, ulong lsn, CancellationToken ct) =>
        GetAsync<NodeDigest>(node, $"/admin/digest/{lsn}?timeoutMs={(long)digestTimeout.TotalMilliseconds}", ct);

    public Task<RangeSummary[]> ChildrenAsync(string node, ulong lsn, string prefix, CancellationToken ct) =>
        GetAsync<RangeSummary[]>(node, $"/admin/digest/{lsn}/ranges?prefix={prefix}", ct);

    public Task<DigestKey[]> KeysAsync(string node, ulong lsn, string prefix, CancellationToken ct) =>
        GetAsync<DigestKey[]>(node, $"/admin/digest/{lsn}/keys?prefix={prefix}", ct);

    private Task<T> GetAsync<T>(string node, string path, CancellationToken ct) => SendAsync<T>(node, HttpMethod.Get, path, ct);

    private async Task<T> SendAsync<T>(string node, HttpMethod method, string path, CancellationToken ct)
    {
        try
        {
            using var response = await _http.SendAsync(new HttpRequestMessage(method, _nodes.Url(node, path)), ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                throw new AkkaReplException($"node {node} refused {path.Split('?')[0]}: {ErrorText(body)}");
            }
            return await response.Content.ReadFromJsonAsync<T>(StatusJson.Options, ct).ConfigureAwait(false)
                ?? throw new AkkaReplException($"node {node} returned nothing for {path}");
        }
        catch (HttpRequestException ex)
        {
            throw _nodes.Explain(node, ex);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new AkkaReplException($"node {node} did not answer {path.Split('?')[0]} in time");
        }
    }

    /// <summary>The admin API answers errors as <c>{"error": "..."}</c>; show just the message.</summary>
    private static string ErrorText(string body)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(body);
            if (json.RootElement.TryGetProperty("error", out var error)) return error.GetString() ?? body;
        }
        catch (System.Text.Json.JsonException) { /* not JSON: show as is */ }
        return body.Trim();
    }

    public void Dispose() => _http.Dispose();
}
