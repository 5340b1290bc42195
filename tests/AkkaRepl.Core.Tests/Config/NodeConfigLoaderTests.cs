using System.Text.Json;
using AkkaRepl.Core.Config;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Options;
using static AkkaRepl.Core.Tests.Config.HoconTestKit;

namespace AkkaRepl.Core.Tests.Config;

public sealed class NodeConfigLoaderTests
{
    private static readonly Dictionary<string, string> None = new();

    [Fact(Timeout = 10_000)]
    public async Task Without_a_config_file_the_node_runs_on_the_record_defaults()
    {
        await Task.Yield();
        var options = NodeConfigLoader.Load(null, [], None, None);
        Assert.Equal(JsonSerializer.Serialize(new AkkaReplOptions()), JsonSerializer.Serialize(options));
    }

    [Fact(Timeout = 10_000)]
    public async Task Each_layer_overrides_the_one_before_it()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        var file = dir.Write("node.conf", """
            akkarepl.node {
              cluster-id = from-file
              resp-port = 1000
              http-port = 2000
              replication-port = 3000
              data-dir = from-file
            }
            """);
        var environment = new Dictionary<string, string>
        {
            ["AKKAREPL__NODE__HTTP_PORT"] = "2001",
            ["AKKAREPL__NODE__REPLICATION_PORT"] = "3001",
            ["AKKAREPL__NODE__DATA_DIR"] = "from-env",
            ["UNRELATED"] = "x",
        };
        string[] set = ["akkarepl.node.replication-port=3002", "akkarepl.node.data-dir=from-set"];
        var flags = new Dictionary<string, string> { ["akkarepl.node.data-dir"] = "from-flag" };

        var node = NodeConfigLoader.Load(file, set, flags, environment).Node;

        Assert.Equal("node1", node.NodeId);          // reference.conf
        Assert.Equal("from-file", node.ClusterId);   // file
        Assert.Equal(1000, node.RespPort);           // file
        Assert.Equal(2001, node.HttpPort);           // environment over file
        Assert.Equal(3002, node.ReplicationPort);    // --set over environment
        Assert.Equal("from-flag", node.DataDir);     // flag over --set
    }

    [Fact(Timeout = 10_000)]
    public async Task A_set_value_is_parsed_as_hocon()
    {
        await Task.Yield();
        var options = NodeConfigLoader.Load(null,
            ["akkarepl.wal.segment-size=\"8 MiB\"", "akkarepl.wal.tail-cache=16 MiB", "akkarepl.node.resp-port=0", "akkarepl.http { enabled = off }"],
            None, None);
        Assert.Equal(8L * 1024 * 1024, options.Wal.SegmentSizeBytes);
        Assert.Equal(16L * 1024 * 1024, options.Wal.TailCacheBytes);
        Assert.Equal(0, options.Node.RespPort);
        Assert.False(options.Http.Enabled);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_set_without_an_equals_sign_shows_the_expected_form()
    {
        await Task.Yield();
        var error = Assert.Throws<ConfigException>(() => NodeConfigLoader.Load(null, ["akkarepl.node.resp-port"], None, None));
        Assert.Equal("--set 'akkarepl.node.resp-port' is not of the form path=value, e.g. --set akkarepl.node.resp-port=0", error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_set_with_bad_hocon_reports_the_column()
    {
        await Task.Yield();
        var error = Assert.Throws<ConfigException>(() => NodeConfigLoader.Load(null, ["akkarepl.node.resp-port=[1"], None, None));
        Assert.Equal("--set 'akkarepl.node.resp-port=[1':1:27: expected ']' to close the array opened at 1:25, found end of file", error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_missing_config_file_is_an_error_that_names_it()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        var missing = Path.Combine(dir.Path, "missing.conf");
        var error = Assert.Throws<ConfigException>(() => NodeConfigLoader.Load(missing, [], None, None));
        Assert.Equal($"config file '{missing}' not found", error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task Problems_from_several_layers_are_reported_together()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        var file = dir.Write("node.conf", "akkarepl {\n  wal\n}");
        var error = Assert.Throws<ConfigException>(() => NodeConfigLoader.Load(file, ["oops"],
            new Dictionary<string, string>(), new Dictionary<string, string> { ["AKKAREPL__"] = "x" }));
        Assert.Equal(Lines("3 configuration problems:",
            $"  {file}:2:6: expected '=' or ':' or '{{' after key 'wal', found end of line",
            "  environment variable AKKAREPL__ has an empty key segment: expected AKKAREPL__SECTION__KEY, e.g. AKKAREPL__NODE__DATA_DIR",
            "  --set 'oops' is not of the form path=value, e.g. --set akkarepl.node.resp-port=0"), error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task Resolution_and_binding_problems_are_reported_together()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        var file = dir.Write("node.conf", "akkarepl.node { data-dir = ${DATA_ROOT}/n1, resp-port = 70000 }");
        var error = Assert.Throws<ConfigException>(() => NodeConfigLoader.Load(file, [], None, None));
        Assert.Equal(Lines("2 configuration problems:",
            $"  {file}:1:28: cannot resolve ${{DATA_ROOT}}: no such key in the configuration and no environment variable named 'DATA_ROOT' (use ${{?DATA_ROOT}} if it may be missing)",
            $"  {file}:1:57: akkarepl.node.resp-port = 70000 is out of range: expected 0..65535 (0 picks a free port)"), error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_bad_value_names_the_layer_that_set_it()
    {
        await Task.Yield();
        var error = Assert.Throws<ConfigException>(() => NodeConfigLoader.Load(null, ["akkarepl.node.resp-port=70000"],
            new Dictionary<string, string> { ["akkarepl.snapshot.retain"] = "1" }, None));
        Assert.Equal(Lines("2 configuration problems:",
            "  --set 'akkarepl.node.resp-port=70000':1:25: akkarepl.node.resp-port = 70000 is out of range: expected 0..65535 (0 picks a free port)",
            "  flag for akkarepl.snapshot.retain: akkarepl.snapshot.retain = 1 is out of range: expected 2..1000 (at least 2, so a corrupt newest snapshot has a fallback)"),
            error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task Environment_variable_names_map_to_kebab_case_paths()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.node.data-dir", HoconOverrides.EnvironmentNameToPath("AKKAREPL__NODE__DATA_DIR"));
        Assert.Equal("akkarepl.resp.max-array-length", HoconOverrides.EnvironmentNameToPath("akkarepl__resp__max_array_length"));
        Assert.Null(HoconOverrides.EnvironmentNameToPath("HOME"));
    }

    [Fact(Timeout = 10_000)]
    public async Task An_environment_override_is_validated_like_a_file_value()
    {
        await Task.Yield();
        var error = Assert.Throws<ConfigException>(() => NodeConfigLoader.Load(null, [], None,
            new Dictionary<string, string> { ["AKKAREPL__NODE__RESP_PORT"] = "abc", ["AKKAREPL__NODE__DATADIR"] = "x" }));
        Assert.Equal(Lines("2 configuration problems:",
            "  environment variable AKKAREPL__NODE__DATADIR: akkarepl.node.datadir is not a known key; did you mean akkarepl.node.data-dir?",
            "  environment variable AKKAREPL__NODE__RESP_PORT: akkarepl.node.resp-port = abc is not a whole number: expected 0..65535 (0 picks a free port)"),
            error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_file_substitution_falls_back_to_the_given_environment()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        var file = dir.Write("node.conf", "akkarepl.node.data-dir = ${DATA_ROOT}/n1");
        var options = NodeConfigLoader.Load(file, [], None, new Dictionary<string, string> { ["DATA_ROOT"] = "/srv" });
        Assert.Equal("/srv/n1", options.Node.DataDir);
    }

    [Fact(Timeout = 10_000)]
    public async Task Substitutions_resolve_after_all_layers_so_an_override_reaches_every_value_that_refers_to_it()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        var file = dir.Write("node.conf", "akkarepl.node.data-dir = \"data/\"${akkarepl.node.node-id}");
        Assert.Equal("data/node1", NodeConfigLoader.Load(file, [], None, None).Node.DataDir);
        Assert.Equal("data/n7", NodeConfigLoader.Load(file, ["akkarepl.node.node-id=n7"], None, None).Node.DataDir);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_flag_value_is_taken_literally()
    {
        await Task.Yield();
        var flags = new Dictionary<string, string> { ["akkarepl.node.data-dir"] = "C:\\data\\node # 1" };
        Assert.Equal("C:\\data\\node # 1", NodeConfigLoader.Load(null, [], flags, None).Node.DataDir);
    }

    [Fact(Timeout = 10_000)]
    public async Task The_process_environment_snapshot_holds_the_variables_of_this_process()
    {
        await Task.Yield();
        Assert.Equal(Environment.GetEnvironmentVariable("PATH"), NodeConfigLoader.ProcessEnvironment()["PATH"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_self_reference_in_a_layer_extends_the_value_of_the_layer_below()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        var file = dir.Write("node.conf", "akkarepl.node.data-dir = ${akkarepl.node.data-dir}\"-file\"");
        var options = NodeConfigLoader.Load(file, ["akkarepl.node.data-dir=${akkarepl.node.data-dir}-set"], None, None);
        Assert.Equal("akkarepl-data/node1-file-set", options.Node.DataDir);
    }

    [Fact(Timeout = 10_000)]
    public async Task Plus_equals_in_a_later_layer_appends_to_the_array_of_an_earlier_one()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        var file = dir.Write("node.conf", "tags = [a]");
        var configuration = NodeConfigLoader.LoadConfiguration(file, ["tags += b"], None, None);
        Assert.Equal(["a", "b"], configuration.GetSection("tags").GetChildren().Select(c => c.Value));
    }
}
