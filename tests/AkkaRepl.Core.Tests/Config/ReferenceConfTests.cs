using System.Text.Json;
using System.Text.RegularExpressions;
using AkkaRepl.Core.Config;
using AkkaRepl.Core.Options;
using Microsoft.Extensions.Configuration;

namespace AkkaRepl.Core.Tests.Config;

public sealed class ReferenceConfTests
{
    [Fact(Timeout = 10_000)]
    public async Task Reference_conf_binds_to_exactly_the_defaults_of_the_option_records()
    {
        await Task.Yield();
        var bound = AkkaReplOptionsBinder.Bind(new ConfigurationBuilder().AddAkkaReplReference().Build());
        // JSON compares deeply, including lists that records compare by reference.
        Assert.Equal(JsonSerializer.Serialize(new AkkaReplOptions()), JsonSerializer.Serialize(bound));
    }

    [Fact(Timeout = 10_000)]
    public async Task Every_option_property_has_a_key_in_reference_conf()
    {
        await Task.Yield();
        var keys = new ConfigurationBuilder().AddAkkaReplReference().Build()
            .AsEnumerable().Select(kv => kv.Key.Replace(':', '.')).ToHashSet(StringComparer.OrdinalIgnoreCase);
        // A list of records has keys below its path (members.0.node-id) unless it is empty.
        var missing = AkkaReplOptionsBinder.AllKeyPaths()
            .Where(path => !keys.Contains(path) && !keys.Any(k => k.StartsWith(path + ".", StringComparison.OrdinalIgnoreCase)))
            .ToList();
        Assert.Empty(missing);
    }

    [Fact(Timeout = 10_000)]
    public async Task Every_key_in_reference_conf_has_a_comment_paragraph_above_it()
    {
        await Task.Yield();
        var lines = NodeConfigLoader.ReadReference().Split('\n');
        var undocumented = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (Regex.IsMatch(lines[i], @"^\s*[a-z][a-z0-9-]*\s*=") && (i == 0 || !lines[i - 1].TrimStart().StartsWith('#')))
                undocumented.Add(lines[i].Trim());
        }
        Assert.Empty(undocumented);
    }

    [Fact(Timeout = 10_000)]
    public async Task The_embedded_reference_is_the_file_in_the_hocon_folder()
    {
        await Task.Yield();
        Assert.Equal(File.ReadAllText(RepositoryFiles.Find("hocon/reference.conf")), NodeConfigLoader.ReadReference());
    }

    [Fact(Timeout = 10_000)]
    public async Task The_single_node_example_binds_without_errors()
    {
        await Task.Yield();
        var options = NodeConfigLoader.Load(RepositoryFiles.Find("hocon/node.conf"), [], new Dictionary<string, string>(),
            new Dictionary<string, string>());
        Assert.Equal("demo", options.Node.ClusterId);
        Assert.Equal("data/node1", options.Node.DataDir);
        Assert.Equal(32L * 1024 * 1024, options.Wal.SegmentSizeBytes);
        Assert.Equal(3, options.Snapshot.Retain);
    }

    [Fact(Timeout = 10_000)]
    public async Task The_single_node_example_takes_its_data_dir_from_the_environment_when_set()
    {
        await Task.Yield();
        var options = NodeConfigLoader.Load(RepositoryFiles.Find("hocon/node.conf"), [], new Dictionary<string, string>(),
            new Dictionary<string, string> { ["AKKAREPL_DATA_DIR"] = "/srv/akkarepl" });
        Assert.Equal("/srv/akkarepl", options.Node.DataDir);
    }

    [Theory(Timeout = 10_000)]
    [InlineData("node1")]
    [InlineData("node2")]
    [InlineData("node3")]
    public async Task Each_example_cluster_member_binds_with_ports_matching_its_member_entry(string nodeId)
    {
        await Task.Yield();
        var options = NodeConfigLoader.Load(RepositoryFiles.Find($"hocon/cluster/{nodeId}.conf"), [],
            new Dictionary<string, string>(), new Dictionary<string, string>());
        var self = options.Cluster.Members.Single(m => m.Id == options.Node.NodeId);
        Assert.Equal(nodeId, options.Node.NodeId);
        Assert.Equal((self.RespPort, self.HttpPort, self.ReplicationPort), (options.Node.RespPort, options.Node.HttpPort, options.Node.ReplicationPort));
        Assert.Equal(3, options.Cluster.Members.Count);
        Assert.Equal("demo-3", options.Node.ClusterId);
    }
}
