using AkkaRepl.Core.Config;
using AkkaRepl.Core.Errors;
using Microsoft.Extensions.Configuration;

namespace AkkaRepl.Core.Tests.Config;

public sealed class HoconConfigurationProviderTests
{
    [Fact(Timeout = 10_000)]
    public async Task A_hocon_string_flattens_to_configuration_keys_with_array_indexes()
    {
        await Task.Yield();
        var configuration = new ConfigurationBuilder()
            .AddHoconString("akkarepl.wal.segment-size = 8 MiB\nakkarepl.list = [a, b]")
            .Build();
        Assert.Equal("8 MiB", configuration["akkarepl:wal:segment-size"]);
        Assert.Equal("b", configuration["akkarepl:list:1"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_hocon_file_binds_through_the_configuration_builder()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        var file = dir.Write("node.conf", "akkarepl.node.resp-port = 0");
        var configuration = new ConfigurationBuilder().AddAkkaReplReference().AddHoconFile(file).Build();
        Assert.Equal(0, AkkaReplOptionsBinder.Bind(configuration).Node.RespPort);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_missing_required_file_is_an_error_and_a_missing_optional_one_adds_nothing()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        var missing = Path.Combine(dir.Path, "nope.conf");
        var error = Assert.Throws<ConfigException>(() => new ConfigurationBuilder().AddHoconFile(missing).Build());
        Assert.Equal($"config file '{missing}' not found", error.Message);
        Assert.Empty(new ConfigurationBuilder().AddHoconFile(missing, optional: true).Build().AsEnumerable());
    }

    [Fact(Timeout = 10_000)]
    public async Task A_later_source_overrides_an_earlier_one()
    {
        await Task.Yield();
        var configuration = new ConfigurationBuilder()
            .AddAkkaReplReference()
            .AddHoconString("akkarepl.snapshot.retain = 5", "override.conf")
            .Build();
        Assert.Equal(5, AkkaReplOptionsBinder.Bind(configuration).Snapshot.Retain);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_syntax_error_in_a_string_source_uses_its_name()
    {
        await Task.Yield();
        var error = Assert.Throws<ConfigException>(() => new ConfigurationBuilder().AddHoconString("a {", "inline.conf").Build());
        Assert.Equal("inline.conf:1:4: expected '}' to close the object opened at 1:3, found end of file", error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task Environment_variables_follow_the_akkarepl_naming_rule_when_embedded()
    {
        await Task.Yield();
        var configuration = new ConfigurationBuilder()
            .AddAkkaReplReference()
            .AddAkkaReplEnvironmentVariables(new Dictionary<string, string>
            {
                ["AKKAREPL__NODE__DATA_DIR"] = "/srv/n1",
                ["AKKAREPL__WAL__SEGMENT_SIZE"] = "8 MiB",
                ["HOME"] = "/home/x",
            })
            .Build();
        var options = AkkaReplOptionsBinder.Bind(configuration);
        Assert.Equal("/srv/n1", options.Node.DataDir);
        Assert.Equal(8L * 1024 * 1024, options.Wal.SegmentSizeBytes);
        Assert.Null(configuration["HOME"]);
    }

    [Fact(Timeout = 10_000)]
    public async Task Includes_in_a_string_source_are_relative_to_its_base_directory()
    {
        await Task.Yield();
        using var dir = new TempDirectory();
        dir.Write("inc.conf", "akkarepl.snapshot.retain = 4");
        var configuration = new ConfigurationBuilder()
            .AddHoconString("include required(\"inc.conf\")", "inline.conf", dir.Path)
            .Build();
        Assert.Equal("4", configuration["akkarepl:snapshot:retain"]);
    }
}
