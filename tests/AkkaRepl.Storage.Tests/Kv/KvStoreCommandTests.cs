using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Storage.Tests.Kv;

public class KvStoreCommandTests
{
    private readonly KvHarness _kv = new();

    private static void Is(string expected, KvReply reply) => Assert.Equal(expected, reply.ToString());

    [Fact(Timeout = 30_000)]
    public async Task Set_then_get_returns_the_exact_bytes_and_a_missing_key_is_nil()
    {
        await Task.Yield();
        Is("+OK", _kv.Write("SET", "k", "v\r\n\0"));
        Assert.Equal("v\r\n\0"u8.ToArray(), _kv.Read("GET", "k").Bulk);
        Is("(nil)", _kv.Read("get", "missing"));
    }

    [Fact(Timeout = 30_000)]
    public async Task Set_NX_XX_and_GET_follow_redis()
    {
        await Task.Yield();
        Is("(nil)", _kv.Write("SET", "k", "1", "XX"));
        Is("+OK", _kv.Write("SET", "k", "1", "NX"));
        Is("(nil)", _kv.Write("SET", "k", "2", "nx"));
        Is("+OK", _kv.Write("SET", "k", "3", "XX"));
        Is("\"3\"", _kv.Write("SET", "k", "4", "GET"));
        Is("(nil)", _kv.Write("SET", "new", "x", "GET"));
        Is("\"4\"", _kv.Write("SET", "k", "5", "NX", "GET")); // NX fails, GET still returns the old value
        Is("\"4\"", _kv.Read("GET", "k"));
        Is("+OK", _kv.Write("SET", "k", "6", "KEEPTTL"));
    }

    [Fact(Timeout = 30_000)]
    public async Task Set_rejects_bad_options_with_redis_texts()
    {
        await Task.Yield();
        Is("-ERR syntax error", _kv.Write("SET", "k", "v", "NX", "XX"));
        Is("-ERR syntax error", _kv.Write("SET", "k", "v", "BOGUS"));
        Is("-ERR syntax error", _kv.Write("SET", "k", "v", "EX"));
        Is("-ERR value is not an integer or out of range", _kv.Write("SET", "k", "v", "EX", "ten"));
        Is("-ERR invalid expire time in 'set' command", _kv.Write("SET", "k", "v", "PX", "0"));
        Is("-ERR key expiry (EX, PX, EXAT, PXAT) is not supported by this server", _kv.Write("SET", "k", "v", "EX", "10"));
        Is("-ERR wrong number of arguments for 'set' command", _kv.Write("SET", "k"));
        Is("(nil)", _kv.Read("GET", "k"));
    }

    [Fact(Timeout = 30_000)]
    public async Task Del_and_exists_count_keys()
    {
        await Task.Yield();
        _kv.Write("MSET", "a", "1", "b", "2");
        Is(":3", _kv.Read("EXISTS", "a", "b", "a", "c"));
        Is(":2", _kv.Write("DEL", "a", "b", "a", "c"));
        Is(":0", _kv.Read("EXISTS", "a"));
        Is(":0", _kv.Read("DBSIZE"));
    }

    [Fact(Timeout = 30_000)]
    public async Task Counters_increment_decrement_and_store_decimal_strings()
    {
        await Task.Yield();
        Is(":1", _kv.Write("INCR", "n"));
        Is(":11", _kv.Write("INCRBY", "n", "10"));
        Is(":10", _kv.Write("DECR", "n"));
        Is(":-5", _kv.Write("DECRBY", "n", "15"));
        Is("\"-5\"", _kv.Read("GET", "n"));
        _kv.Write("SET", "m", "9223372036854775806");
        Is(":9223372036854775807", _kv.Write("INCR", "m"));
        Is("-ERR increment or decrement would overflow", _kv.Write("INCR", "m"));
        _kv.Write("SET", "low", "-9223372036854775808");
        Is("-ERR increment or decrement would overflow", _kv.Write("DECR", "low"));
        Is("-ERR decrement would overflow", _kv.Write("DECRBY", "n", "-9223372036854775808"));
    }

    [Theory(Timeout = 30_000)]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("01")]
    [InlineData("-0")]
    [InlineData("")]
    [InlineData("1.5")]
    [InlineData("9223372036854775808")]
    [InlineData("abc")]
    public async Task Incr_refuses_values_that_redis_does_not_parse_as_int64(string value)
    {
        await Task.Yield();
        _kv.Write("SET", "n", value);
        Is("-ERR value is not an integer or out of range", _kv.Write("INCR", "n"));
        Is("-ERR value is not an integer or out of range", _kv.Write("INCRBY", "other", value));
        Assert.Equal(value, System.Text.Encoding.UTF8.GetString(_kv.Read("GET", "n").Bulk!));
    }

    [Fact(Timeout = 30_000)]
    public async Task Append_and_strlen_work_on_missing_and_existing_keys()
    {
        await Task.Yield();
        Is(":0", _kv.Read("STRLEN", "s"));
        Is(":5", _kv.Write("APPEND", "s", "hello"));
        Is(":11", _kv.Write("APPEND", "s", " world"));
        Is("\"hello world\"", _kv.Read("GET", "s"));
        Is(":11", _kv.Read("STRLEN", "s"));
    }

    [Fact(Timeout = 30_000)]
    public async Task Mget_mset_dbsize_and_flushall()
    {
        await Task.Yield();
        Is("+OK", _kv.Write("MSET", "a", "1", "b", "2", "a", "3"));
        Is("[\"3\", \"2\", (nil)]", _kv.Read("MGET", "a", "b", "c"));
        Is(":2", _kv.Read("DBSIZE"));
        Is("-ERR wrong number of arguments for 'mset' command", _kv.Write("MSET", "a", "1", "b"));
        Is("-ERR syntax error", _kv.Write("FLUSHALL", "NOW"));
        Is("+OK", _kv.Write("FLUSHALL", "ASYNC"));
        Is(":0", _kv.Read("DBSIZE"));
    }

    [Fact(Timeout = 30_000)]
    public async Task Arity_and_unknown_command_errors_use_redis_texts()
    {
        await Task.Yield();
        Is("-ERR wrong number of arguments for 'get' command", _kv.Read("GET"));
        Is("-ERR wrong number of arguments for 'get' command", _kv.Read("GET", "a", "b"));
        Is("-ERR wrong number of arguments for 'incrby' command", _kv.Write("incrby", "a"));
        Is("-ERR unknown command 'foo', with args beginning with: 'a' 'b' ", _kv.Read("foo", "a", "b"));
        Is("-ERR unknown command 'foo', with args beginning with: ", _kv.Read("foo"));
    }

    [Fact(Timeout = 30_000)]
    public async Task Unknown_command_lists_arguments_only_while_under_128_characters()
    {
        await Task.Yield();
        var big = new string('x', 200);
        var reply = _kv.Read("nope", big, "second");
        Assert.Equal($"-ERR unknown command 'nope', with args beginning with: '{new string('x', 128)}' ", reply.ToString());
    }

    [Fact(Timeout = 30_000)]
    public async Task A_write_sent_to_execute_read_is_refused_and_changes_nothing()
    {
        await Task.Yield();
        Is("-ERR 'set' changes state and must be written through the log", _kv.Read("SET", "k", "v"));
        Is(":0", _kv.Read("DBSIZE"));
    }

    [Fact(Timeout = 30_000)]
    public async Task Precheck_refuses_syntax_errors_before_they_are_logged()
    {
        await Task.Yield();
        Assert.Equal("-ERR syntax error", KvStore.Precheck(KvHarness.Argv("SET", "k", "v", "XX", "NX"))?.ToString());
        Assert.Equal("-ERR value is not an integer or out of range", KvStore.Precheck(KvHarness.Argv("INCRBY", "k", "x"))?.ToString());
        Assert.Equal("-ERR wrong number of arguments for 'mset' command", KvStore.Precheck(KvHarness.Argv("MSET", "k"))?.ToString());
        Assert.Null(KvStore.Precheck(KvHarness.Argv("SET", "k", "v", "NX", "GET")));
        Assert.Null(KvStore.Precheck(KvHarness.Argv("INCR", "k")));
        Assert.Null(KvStore.Precheck(KvHarness.Argv("MSET", "a", "1", "b", "2")));
        Assert.Equal("-ERR wrong number of arguments for 'mset' command", KvStore.Precheck(KvHarness.Argv("MSET", "a", "1", "b"))?.ToString());
    }

    [Fact(Timeout = 30_000)]
    public async Task Applied_lsn_is_the_end_of_the_last_record()
    {
        await Task.Yield();
        _kv.Write("SET", "a", "1");
        _kv.Write("SET", "b", "2");
        Assert.Equal(_kv.Next, _kv.Store.AppliedLsn);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_payload_with_an_unknown_format_version_is_refused_with_a_clear_error()
    {
        await Task.Yield();
        var payload = KvStore.EncodeCommand(KvHarness.Argv("SET", "a", "1"));
        payload[0] = 9;
        var error = Assert.Throws<AkkaRepl.Core.Errors.StorageCorruptException>(() => _kv.ApplyPayload(payload));
        Assert.Equal("key-value WAL payload has format version 9, and this node reads only version 1: upgrade the node", error.Message);
        var truncated = KvStore.EncodeCommand(KvHarness.Argv("SET", "a", "1"))[..^1];
        Assert.Equal("key-value WAL payload ends inside an argument",
            Assert.Throws<AkkaRepl.Core.Errors.StorageCorruptException>(() => _kv.ApplyPayload(truncated)).Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_empty_payload_is_a_marker_that_only_advances_the_applied_lsn()
    {
        await Task.Yield();
        _kv.Write("SET", "a", "1");
        var image = KvDeterminismTests.Image(_kv.Store);
        Assert.Equal("+OK", _kv.ApplyPayload([]).ToString());
        Assert.Equal(_kv.Next, _kv.Store.AppliedLsn);
        Assert.Equal(":1", _kv.Read("DBSIZE").ToString());
        Assert.NotEqual(image, KvDeterminismTests.Image(_kv.Store)); // only the LSN in the image moved
        Assert.Equal(image[9..], KvDeterminismTests.Image(_kv.Store)[9..]);
    }

    [Fact(Timeout = 30_000)]
    public async Task Applying_an_entry_before_the_applied_lsn_is_refused()
    {
        await Task.Yield();
        _kv.Write("SET", "a", "1");
        var payload = KvStore.EncodeCommand(KvHarness.Argv("SET", "a", "2"));
        var stale = new AkkaRepl.Storage.StateMachine.CommittedEntry(AkkaRepl.Core.Ids.Generation.First, AkkaRepl.Core.Ids.Lsn.Zero, new AkkaRepl.Core.Ids.Lsn(10), 0, payload);
        var error = Assert.Throws<InvalidOperationException>(() => _kv.Store.ApplyEntry(stale));
        Assert.StartsWith("entry at LSN 0 is before the applied LSN", error.Message);
        Assert.Equal("\"1\"", _kv.Read("GET", "a").ToString());
    }

    [Fact(Timeout = 30_000)]
    public async Task Setnx_getset_getdel_type_and_ttl_follow_redis()
    {
        await Task.Yield();
        Is(":1", _kv.Write("SETNX", "k", "1"));
        Is(":0", _kv.Write("SETNX", "k", "2"));
        Is("\"1\"", _kv.Write("GETSET", "k", "3"));
        Is("(nil)", _kv.Write("GETSET", "fresh", "x"));
        Is("+string", _kv.Read("TYPE", "k"));
        Is(":-1", _kv.Read("TTL", "k"));
        Is(":-2", _kv.Read("PTTL", "missing"));
        Is("\"3\"", _kv.Write("GETDEL", "k"));
        Is("(nil)", _kv.Write("GETDEL", "k"));
        Is("+none", _kv.Read("TYPE", "k"));
        Is(":-2", _kv.Read("TTL", "k"));
    }
}
