using System.Net;
using System.Text.Json;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Node;
using AkkaRepl.Server.Tests.Node;

namespace AkkaRepl.Server.Tests.Http;

/// <summary>A request the admin endpoint cannot bind (a parameter missing or not a number) gets 400 with a JSON error
/// that names the parameter, not a bare 400 with an empty body.</summary>
public sealed class AdminBadRequestTests
{
    [Theory(Timeout = 60_000)]
    [InlineData("POST", "/admin/switchover", "Required parameter \"string to\" was not provided from query string.")]
    [InlineData("POST", "/admin/follow?primary=n1", "Required parameter \"ulong generation\" was not provided from query string.")]
    [InlineData("POST", "/admin/follow?primary=n1&generation=abc", "Failed to bind parameter \"ulong generation\" from \"abc\".")]
    [InlineData("GET", "/admin/digest/abc", "Failed to bind parameter \"ulong lsn\" from \"abc\".")]
    [InlineData("GET", "/admin/backup/wal?from=-1", "Failed to bind parameter \"ulong from\" from \"-1\".")]
    public async Task A_missing_or_malformed_parameter_is_named_in_a_json_error(string method, string path, string expected)
    {
        using var dir = new TempDataDir();
        await using var node = await NodeHost.StartAsync(new AkkaReplOptions
        {
            Node = new NodeOptions { NodeId = "n1", ClusterId = "c", DataDir = dir.Path, RespPort = 0, HttpPort = 0, ReplicationPort = 0 },
        }, new CapturingLoggerFactory(), default);
        using var http = new HttpClient();
        using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"http://127.0.0.1:{node.HttpPort}{path}"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(expected, json.RootElement.GetProperty("error").GetString());
    }
}

/// <summary>Values that bind but make no sense get 400 with the reason and change nothing.</summary>
public sealed class AdminBadValueTests
{
    /// <summary>POST /admin/follow naming the node itself used to make the primary a replica of itself: role replica,
    /// primary itself, every write refused, and nobody to stream from, until an operator noticed.</summary>
    [Fact(Timeout = 60_000)]
    public async Task A_node_told_to_follow_itself_refuses_and_stays_primary()
    {
        await Task.Yield();
        using var dir = new TempDataDir();
        await using var node = await NodeHost.StartAsync(new AkkaReplOptions
        {
            Node = new NodeOptions { NodeId = "n1", ClusterId = "c", DataDir = dir.Path, RespPort = 0, HttpPort = 0, ReplicationPort = 0 },
            Cluster = new ClusterOptions { Members = [new MemberOptions { Id = "n1" }, new MemberOptions { Id = "n2", ReplicationPort = 1, RespPort = 1, HttpPort = 1 }] },
            Election = new ElectionOptions { Enabled = false },
        }, new CapturingLoggerFactory(), default);
        using var http = new HttpClient();
        using var response = await http.PostAsync($"http://127.0.0.1:{node.HttpPort}/admin/follow?primary=n1&generation=5", null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("'n1' is this node: a node follows another member (to make it the primary, use promote)", json.RootElement.GetProperty("error").GetString());
        Assert.Equal("primary", node.GetStatus().Role);
        Assert.True(node.AcceptsWrites);
    }

    /// <summary>GET /admin/backup/wal from an LSN inside a record used to answer 500 with an empty body (the log
    /// reader's ArgumentException escaped the handler).</summary>
    [Fact(Timeout = 60_000)]
    public async Task A_wal_request_from_inside_a_record_is_refused_with_the_reason()
    {
        await Task.Yield();
        using var dir = new TempDataDir();
        await using var node = await NodeHost.StartAsync(new AkkaReplOptions
        {
            Node = new NodeOptions { NodeId = "n1", ClusterId = "c", DataDir = dir.Path, RespPort = 0, HttpPort = 0, ReplicationPort = 0 },
        }, new CapturingLoggerFactory(), default);
        Assert.True(node.Wal.FlushedLsn.Value > 3, $"the log holds a record past LSN 3 (flushed {node.Wal.FlushedLsn})");
        using var http = new HttpClient();
        using var response = await http.GetAsync($"http://127.0.0.1:{node.HttpPort}/admin/backup/wal?from=3");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(body);
        Assert.StartsWith("node n1 has no record starting at LSN 3", json.RootElement.GetProperty("error").GetString());
    }
}
