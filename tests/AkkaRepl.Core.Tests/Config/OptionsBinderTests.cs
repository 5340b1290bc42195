using AkkaRepl.Core.Config;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Options;
using Microsoft.Extensions.Configuration;
using static AkkaRepl.Core.Tests.Config.HoconTestKit;

namespace AkkaRepl.Core.Tests.Config;

public sealed class OptionsBinderTests
{
    private static AkkaReplOptions Bind(string hocon) =>
        AkkaReplOptionsBinder.Bind(new ConfigurationBuilder().AddHoconString(hocon, "test.conf").Build());

    private static string BindError(string hocon) => Assert.Throws<ConfigException>(() => Bind(hocon)).Message;

    private static SampleOptions BindSample(string hocon) =>
        AkkaReplOptionsBinder.Bind<SampleOptions>(new ConfigurationBuilder().AddHoconString(hocon, "test.conf").Build(), "sample");

    private static string SampleError(string hocon) => Assert.Throws<ConfigException>(() => BindSample(hocon)).Message;

    [Fact(Timeout = 10_000)]
    public async Task Kebab_case_keys_bind_and_a_bytes_property_reads_a_size_without_its_suffix()
    {
        await Task.Yield();
        var options = Bind("akkarepl { node { data-dir = /srv/n1, resp-port = 0 }, wal.segment-size = 8 MiB, wal.max-batch = 65536 }");
        Assert.Equal("/srv/n1", options.Node.DataDir);
        Assert.Equal(0, options.Node.RespPort);
        Assert.Equal(8L * 1024 * 1024, options.Wal.SegmentSizeBytes);
        Assert.Equal(65536, options.Wal.MaxBatchBytes);
        Assert.Equal(new WalOptions().TailCacheBytes, options.Wal.TailCacheBytes);
    }

    [Fact(Timeout = 10_000)]
    public async Task Absent_keys_keep_the_record_defaults_and_keys_outside_akkarepl_are_ignored()
    {
        await Task.Yield();
        var options = Bind("other.thing = 1\nakkarepl.http.enabled = off");
        Assert.False(options.Http.Enabled);
        Assert.Equal(new NodeOptions(), options.Node);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_misspelled_key_is_rejected_with_the_nearest_valid_key()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.wal.segment-sise is not a known key; did you mean akkarepl.wal.segment-size?",
            BindError("akkarepl.wal.segment-sise = 1 MiB"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_key_with_the_bytes_suffix_suggests_the_key_without_it()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.wal.segment-size-bytes is not a known key; did you mean akkarepl.wal.segment-size?",
            BindError("akkarepl.wal.segment-size-bytes = 1 MiB"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_key_in_the_wrong_section_suggests_the_section_that_has_it()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.node.segment-size is not a known key; did you mean akkarepl.wal.segment-size?",
            BindError("akkarepl.node.segment-size = 1 MiB"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_misspelled_section_is_rejected_with_the_nearest_section()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.wall is not a known key; did you mean akkarepl.wal?", BindError("akkarepl.wall.segment-size = 1 MiB"));
    }

    [Fact(Timeout = 10_000)]
    public async Task An_unknown_key_with_nothing_near_lists_the_valid_keys()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.http.zzzzzzzzzz is not a known key; the keys of akkarepl.http are: enabled",
            BindError("akkarepl.http.zzzzzzzzzz = 1"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_port_out_of_range_shows_the_path_the_value_and_the_range()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.node.resp-port = 70000 is out of range: expected 0..65535 (0 picks a free port)",
            BindError("akkarepl.node.resp-port = 70000"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_size_out_of_range_shows_the_range_in_size_units()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.wal.segment-size = 1 KiB is out of range: expected 4 KiB..1 TiB",
            BindError("akkarepl.wal.segment-size = 1 KiB"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_size_too_big_for_an_int_property_is_out_of_range()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.wal.max-batch = 4 GiB is out of range: expected 4 KiB..1 GiB",
            BindError("akkarepl.wal.max-batch = 4 GiB"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_word_where_a_number_belongs_is_rejected_with_the_expected_range()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.node.resp-port = lots is not a whole number: expected 0..65535 (0 picks a free port)",
            BindError("akkarepl.node.resp-port = lots"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_bad_size_explains_the_size_format()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.wal.segment-size = huge is not a size: expected a size in 4 KiB..1 TiB such as 512 KiB or 64 MiB (a plain number is bytes)",
            BindError("akkarepl.wal.segment-size = huge"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_bad_boolean_lists_the_accepted_words()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.http.enabled = maybe is not a boolean: expected true or false (yes/no and on/off also work)",
            BindError("akkarepl.http.enabled = maybe"));
    }

    [Fact(Timeout = 10_000)]
    public async Task An_object_where_a_value_belongs_is_rejected()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.node.resp-port must be a single value, found an object", BindError("akkarepl.node.resp-port { x = 1 }"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_value_where_a_section_belongs_lists_the_section_keys()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.wal = 5 must be an object with the keys: segment-size, max-batch, max-record, tail-cache, mailbox-capacity, preallocate-segments, max-group-commit-delay", BindError("akkarepl.wal = 5"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_cross_field_rule_reports_both_keys()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.resp.max-bulk = 2 GiB is larger than akkarepl.resp.max-request = 1 GiB: one bulk string must fit in a request",
            BindError("akkarepl.resp.max-bulk = 2 GiB"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_cross_field_rule_is_skipped_when_one_of_its_fields_is_already_invalid()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.resp.max-request = 1 B is out of range: expected at least 1 KiB",
            BindError("akkarepl.resp { max-bulk = 2 GiB, max-request = 1 B }"));
    }

    [Fact(Timeout = 10_000)]
    public async Task An_invalid_node_id_is_rejected_with_the_node_id_rule()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.node.node-id = 'bad id' is not a valid node id: use 1-64 characters of letters, digits, '-', '_' or '.'",
            BindError("akkarepl.node.node-id = \"bad id\""));
    }

    [Fact(Timeout = 10_000)]
    public async Task Two_listeners_on_one_port_are_rejected_but_two_free_ports_are_not()
    {
        await Task.Yield();
        Assert.Equal("akkarepl.node.http-port = 7379 is also akkarepl.node.resp-port: each listener needs its own port (or 0 for a free one)",
            BindError("akkarepl.node.http-port = 7379"));
        Assert.Equal(0, Bind("akkarepl.node { resp-port = 0, http-port = 0, replication-port = 0 }").Node.HttpPort);
    }

    [Fact(Timeout = 10_000)]
    public async Task Every_problem_is_reported_together_in_one_exception()
    {
        await Task.Yield();
        var error = BindError("akkarepl { node.resp-port = 70000, wal.segment-sise = 1 MiB, http.enabled = maybe, snapshot.retain = 1 }");
        Assert.Equal(Lines("4 configuration problems:",
            "  akkarepl.http.enabled = maybe is not a boolean: expected true or false (yes/no and on/off also work)",
            "  akkarepl.wal.segment-sise is not a known key; did you mean akkarepl.wal.segment-size?",
            "  akkarepl.node.resp-port = 70000 is out of range: expected 0..65535 (0 picks a free port)",
            "  akkarepl.snapshot.retain = 1 is out of range: expected 2..1000 (at least 2, so a corrupt newest snapshot has a fallback)"), error);
    }

    [Fact(Timeout = 10_000)]
    public async Task Options_built_in_code_are_validated_like_bound_ones()
    {
        await Task.Yield();
        AkkaReplOptionsBinder.Validate(new AkkaReplOptions());
        var error = Assert.Throws<ConfigException>(() => AkkaReplOptionsBinder.Validate(new AkkaReplOptions { Snapshot = new() { Retain = 1 } }));
        Assert.Equal("akkarepl.snapshot.retain = 1 is out of range: expected 2..1000 (at least 2, so a corrupt newest snapshot has a fallback)", error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task Durations_enums_doubles_lists_and_nested_records_bind_generically()
    {
        await Task.Yield();
        var options = BindSample("""
            sample {
              timeout = 5 s
              heartbeat = 200ms
              lease = off
              mode = read-your-writes
              ratio = 0.25
              max-lag = 2 MiB
              enabled = no
              tags = [a, b]
              members = [{ node-id = n1, port = 1 }, { node-id = n2, port = 2 }]
              primary.node-id = n1
            }
            """);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Timeout);
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.Heartbeat);
        Assert.Null(options.Lease);
        Assert.Equal(SampleMode.ReadYourWrites, options.Mode);
        Assert.Equal(0.25, options.Ratio);
        Assert.Equal(2L * 1024 * 1024, options.MaxLagBytes);
        Assert.False(options.Enabled);
        Assert.Equal(["a", "b"], options.Tags);
        Assert.Equal([new SampleMember { NodeId = "n1", Port = 1 }, new SampleMember { NodeId = "n2", Port = 2 }], options.Members);
        Assert.Equal("n1", options.Primary.NodeId);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_plain_number_duration_is_milliseconds_and_null_switches_a_nullable_off()
    {
        await Task.Yield();
        var options = BindSample("sample { timeout = 1500, lease = null, tags = [] }");
        Assert.Equal(TimeSpan.FromMilliseconds(1500), options.Timeout);
        Assert.Null(options.Lease);
        Assert.Empty(options.Tags);
    }

    [Fact(Timeout = 10_000)]
    public async Task Problems_inside_list_elements_name_the_element()
    {
        await Task.Yield();
        Assert.Equal(Lines("2 configuration problems:",
                "  sample.members[0].prot is not a known key; did you mean sample.members[0].port?",
                "  sample.members[1].port = 70000 is out of range: expected 0..65535"),
            SampleError("sample.members = [{ prot = 1 }, { port = 70000 }]"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_bad_enum_value_lists_the_kebab_case_choices()
    {
        await Task.Yield();
        Assert.Equal("sample.mode = blok is not a valid choice: expected one of block, read-your-writes", SampleError("sample.mode = blok"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_bad_duration_explains_the_duration_format()
    {
        await Task.Yield();
        Assert.Equal("sample.timeout = soon is not a duration: expected a duration such as 200 ms, 5 s or 1 minute (units ns, us, ms, s, m, h, d; a plain number is milliseconds)",
            SampleError("sample.timeout = soon"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_duration_out_of_range_shows_the_range_in_duration_units()
    {
        await Task.Yield();
        Assert.Equal("sample.heartbeat = 2 h is out of range: expected 1 ms..1 h", SampleError("sample { heartbeat = 2 h, timeout = 3 h }"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_fraction_out_of_range_shows_the_range()
    {
        await Task.Yield();
        Assert.Equal("sample.ratio = 1.5 is out of range: expected 0..1", SampleError("sample.ratio = 1.5"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_record_cross_field_rule_runs_after_its_fields_bind()
    {
        await Task.Yield();
        Assert.Equal("sample.heartbeat must be shorter than sample.timeout", SampleError("sample { heartbeat = 2 s, timeout = 1 s }"));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_scalar_where_a_list_belongs_is_rejected()
    {
        await Task.Yield();
        Assert.Equal("sample.tags = a must be a list: [ ... ]", SampleError("sample.tags = a"));
    }

    [Fact(Timeout = 10_000)]
    public async Task Property_names_map_to_kebab_case_keys()
    {
        await Task.Yield();
        Assert.Equal("read-your-writes", OptionKeys.Kebab("ReadYourWrites"));
        Assert.Equal("http-port", OptionKeys.Kebab("HTTPPort"));
        Assert.Equal("max-lag", OptionKeys.KeyOf(typeof(SampleOptions).GetProperty(nameof(SampleOptions.MaxLagBytes))!));
        Assert.Equal("max-array-length", OptionKeys.KeyOf(typeof(RespOptions).GetProperty(nameof(RespOptions.MaxArrayLength))!));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_nested_record_starts_from_the_parent_default_and_leaves_a_shared_default_unchanged()
    {
        await Task.Yield();
        var options = BindSample("sample.primary.port = 10");
        Assert.Equal(new SampleMember { NodeId = "p0", Port = 10 }, options.Primary);
        Assert.Equal(9, SampleOptions.DefaultPrimary.Port);
    }
}
