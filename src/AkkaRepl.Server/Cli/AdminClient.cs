using System.Net.Http.Json;
using AkkaRepl.Core.Errors;
using AkkaRepl.Server.Http;
using AkkaRepl.Server.Node;

namespace AkkaRepl.Server.Cli;

/// <summary>Talks to nodes' HTTP admin endpoints for the operator verbs (status, promote).</summary>
internal sealed class AdminClient : IDisposable
{
    /// <summary>How long an operator verb may take by default: a switchover waits up to the durability timeout for
    /// the target to catch up, then for the target to win its election, so it outlives a status call's 5 s.</summary>
    public static readonly TimeSpan DefaultPostTimeout = TimeSpan.FromMinutes(2);

    private readonly HttpClient _http;
    private readonly HttpClient _verbs;
    private readonly NodeHttp _nodes;
    private readonly TimeSpan _postTimeout;

    /// <param name="token">The admin token (akkarepl.security.admin-token); null: AKKAREPL_ADMIN_TOKEN, if set.</param>
    /// <param name="nodes">HTTP or HTTPS (--tls, --ca); null: plain HTTP.</param>
    /// <param name="postTimeout">How long a verb (POST) may take; null: <see cref="DefaultPostTimeout"/>.</param>
    public AdminClient(string? token = null, NodeHttp? nodes = null, TimeSpan? postTimeout = null)
    {
        _nodes = nodes ?? NodeHttp.Plain;
        _postTimeout = postTimeout ?? DefaultPostTimeout;
        _http = _nodes.CreateClient(TimeSpan.FromSeconds(5));
        _verbs = _nodes.CreateClient(_postTimeout);
        AdminTokenOption.Authorize(_http, token);
        AdminTokenOption.Authorize(_verbs, token);
    }

    public async Task<NodeStatus> StatusAsync(string hostPort, CancellationToken ct)
    {
        try
        {
            return await _http.GetFromJsonAsync<NodeStatus>(_nodes.Url(hostPort, "/status"), StatusJson.Options, ct).ConfigureAwait(false)
                ?? throw new AkkaReplException($"node {hostPort} returned an empty status");
        }
        catch (HttpRequestException ex) when (ex.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
        {
            throw new AkkaReplException($"node {hostPort} needs the admin token for /status: {AdminTokenOption.Hint}");
        }
        catch (HttpRequestException ex)
        {
            throw _nodes.Explain(hostPort, ex);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new AkkaReplException($"node {hostPort} did not answer within 5 s");
        }
    }

    /// <summary>Status of every member the given node knows, in member order; unreachable ones are null.</summary>
    public async Task<IReadOnlyList<(MemberAddress Member, NodeStatus? Status, string? Error)>> ClusterAsync(string hostPort, CancellationToken ct)
    {
        var first = await StatusAsync(hostPort, ct).ConfigureAwait(false);
        if (first.Members.Count == 0)
        {
            var (host, port) = NodeHttp.SplitHostPort(hostPort);
            return [(new MemberAddress(first.NodeId, host, 0, port, 0), first, null)];
        }
        var all = first.Members.Select(async m =>
        {
            if (m.Id == first.NodeId) return (m, (NodeStatus?)first, (string?)null);
            try { return (m, await StatusAsync(NodeHttp.HostPort(m.Host, m.HttpPort), ct).ConfigureAwait(false), null); }
            catch (AkkaReplException ex) { return (m, null, ex.Message); }
        });
        return await Task.WhenAll(all).ConfigureAwait(false);
    }

    public async Task<string> PostAsync(string hostPort, string path, CancellationToken ct)
    {
        try
        {
            var response = await _verbs.PostAsync(_nodes.Url(hostPort, path), null, ct).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new AkkaReplException($"node {hostPort} refused {path}: {body}");
            return body;
        }
        catch (HttpRequestException ex)
        {
            throw _nodes.Explain(hostPort, ex);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new AkkaReplException($"node {hostPort} did not answer {path} within {_postTimeout.TotalSeconds:0.###} s; " +
                                        "it may still be under way: check with akkarepl status");
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _verbs.Dispose();
    }
}
