using AkkaRepl.Core.Ids;
using AkkaRepl.Storage.Kv;

namespace AkkaRepl.Storage.Tests.Kv;

public class KvTransactionTests
{
    private readonly KvHarness _kv = new();

    [Fact(Timeout = 30_000)]
    public async Task Exec_applies_all_commands_in_one_record_and_returns_every_reply()
    {
        await Task.Yield();
        var before = _kv.Store.AppliedLsn;
        var reply = _kv.Exec([], ["SET", "a", "1"], ["INCR", "a"], ["GET", "a"], ["INCR", "missing"]);
        Assert.Equal("[+OK, :2, \"2\", :1]", reply.ToString());
        Assert.True(_kv.Store.AppliedLsn > before);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_failing_command_inside_exec_does_not_stop_the_others()
    {
        await Task.Yield();
        _kv.Write("SET", "s", "text");
        var reply = _kv.Exec([], ["INCR", "s"], ["SET", "b", "1"], ["SET", "c", "1", "BAD"]);
        Assert.Equal("[-ERR value is not an integer or out of range, +OK, -ERR syntax error]", reply.ToString());
        Assert.Equal("\"1\"", _kv.Read("GET", "b").ToString());
    }

    [Fact(Timeout = 30_000)]
    public async Task Exec_succeeds_when_no_watched_key_changed()
    {
        await Task.Yield();
        _kv.Write("SET", "w", "1");
        var watches = new[] { _kv.Watch("w"), _kv.Watch("absent") };
        _kv.Write("SET", "other", "x");
        Assert.Equal("[+OK]", _kv.Exec(watches, ["SET", "w", "2"]).ToString());
    }

    [Fact(Timeout = 30_000)]
    public async Task Exec_aborts_when_a_watched_key_was_modified()
    {
        await Task.Yield();
        _kv.Write("SET", "w", "1");
        var watches = new[] { _kv.Watch("w") };
        _kv.Write("SET", "w", "1"); // same value still counts as a change, as in Redis
        Assert.True(_kv.Exec(watches, ["SET", "x", "2"]).IsNil);
        Assert.True(_kv.Read("GET", "x").IsNil);
    }

    [Fact(Timeout = 30_000)]
    public async Task Exec_aborts_when_a_watched_key_was_deleted()
    {
        await Task.Yield();
        _kv.Write("SET", "w", "1");
        var watches = new[] { _kv.Watch("w") };
        _kv.Write("DEL", "w");
        Assert.Equal(KvReply.NilArray, _kv.Exec(watches, ["SET", "x", "2"]));
    }

    [Fact(Timeout = 30_000)]
    public async Task Exec_aborts_when_a_watched_key_was_created()
    {
        await Task.Yield();
        var watches = new[] { _kv.Watch("w") };
        _kv.Write("SET", "w", "1");
        Assert.Equal(KvReply.NilArray, _kv.Exec(watches, ["SET", "x", "2"]));
    }

    [Fact(Timeout = 30_000)]
    public async Task Exec_aborts_when_a_watched_key_was_created_and_deleted_again()
    {
        await Task.Yield();
        var watches = new[] { _kv.Watch("w") };
        _kv.Write("SET", "w", "1");
        _kv.Write("DEL", "w");
        Assert.Equal(KvReply.NilArray, _kv.Exec(watches, ["SET", "x", "2"]));
    }

    [Fact(Timeout = 30_000)]
    public async Task Exec_aborts_after_flushall()
    {
        await Task.Yield();
        _kv.Write("SET", "w", "1");
        var watches = new[] { _kv.Watch("w"), _kv.Watch("never") };
        _kv.Write("FLUSHALL");
        Assert.Equal(KvReply.NilArray, _kv.Exec(watches, ["SET", "x", "2"]));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_watch_older_than_a_pruned_tombstone_aborts_conservatively()
    {
        await Task.Yield();
        var kv = new KvHarness(new KvStore(maxTombstones: 2));
        kv.Write("MSET", "w", "1", "a", "1", "b", "1", "c", "1");
        var watches = new[] { kv.Watch("w") };
        kv.Write("DEL", "w");
        kv.Write("DEL", "a");
        kv.Write("DEL", "b"); // the tombstone of w is pruned now
        Assert.Equal(2, kv.Store.TombstoneCount);
        Assert.Equal(KvReply.NilArray, kv.Exec(watches, ["SET", "x", "2"]));
        // A fresh watch after the pruning succeeds.
        Assert.Equal("[+OK]", kv.Exec([kv.Watch("w")], ["SET", "x", "2"]).ToString());
    }

    [Fact(Timeout = 30_000)]
    public async Task Tombstones_stay_bounded_when_keys_are_deleted_and_recreated_forever()
    {
        await Task.Yield();
        var kv = new KvHarness(new KvStore(maxTombstones: 4));
        for (var i = 0; i < 5_000; i++)
        {
            kv.Write("SET", "k" + (i % 10), "v");
            kv.Write("DEL", "k" + (i % 10));
        }
        Assert.True(kv.Store.TombstoneCount <= 4, $"tombstones: {kv.Store.TombstoneCount}");
    }

    [Fact(Timeout = 30_000)]
    public async Task A_read_only_transaction_runs_without_the_log_and_honours_watches()
    {
        await Task.Yield();
        _kv.Write("SET", "a", "1");
        var watches = new[] { _kv.Watch("a") };
        var applied = _kv.Store.AppliedLsn;
        var commands = new List<IReadOnlyList<ReadOnlyMemory<byte>>> { KvHarness.Argv("GET", "a"), KvHarness.Argv("EXISTS", "a") };
        Assert.Equal("[\"1\", :1]", _kv.Store.ExecuteReadTransaction(commands, watches).ToString());
        Assert.Equal(applied, _kv.Store.AppliedLsn);
        _kv.Write("SET", "a", "2");
        Assert.Equal(KvReply.NilArray, _kv.Store.ExecuteReadTransaction(commands, watches));
    }

    [Fact(Timeout = 30_000)]
    public async Task Version_is_the_end_lsn_of_the_last_change_and_never_zero_once_touched()
    {
        await Task.Yield();
        Assert.Equal(Lsn.Zero, _kv.Store.GetVersion("k"u8));
        _kv.Write("SET", "k", "1");
        Assert.Equal(_kv.Next, _kv.Store.GetVersion("k"u8)); // the end of the record that changed it
        _kv.Write("SET", "other", "1");
        Assert.NotEqual(_kv.Next, _kv.Store.GetVersion("k"u8));
        _kv.Write("DEL", "k");
        Assert.Equal(_kv.Next, _kv.Store.GetVersion("k"u8));
    }

    [Fact(Timeout = 30_000)]
    public async Task Readers_never_see_half_of_an_exec()
    {
        // MSET-like transaction sets a and b to the same value; a concurrent MGET must always see them equal.
        var stop = false;
        var torn = 0;
        var reader = Task.Run(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                var r = _kv.Read("MGET", "a", "b");
                if (r.Items![0].ToString() != r.Items[1].ToString()) Interlocked.Increment(ref torn);
            }
        });
        for (var i = 0; i < 3_000; i++)
            _kv.Exec([], ["SET", "a", i.ToString()], ["SET", "b", i.ToString()]);
        Volatile.Write(ref stop, true);
        await reader;
        Assert.Equal(0, torn);
    }
}
