using System.Text;
using AkkaRepl.Storage.Digest;
using AkkaRepl.Storage.Tests.Kv;

namespace AkkaRepl.Storage.Tests.Digest;

public sealed class StateDigestTests
{
    private static StateDigest DigestOf(IEnumerable<(string Key, string Value)> pairs, int seed)
    {
        // The same pairs written in a different order, with the same LSNs per key, must give the same digest:
        // versions are part of the entry, so each key's write lands at the same position in both stores.
        var harness = new KvHarness();
        var shuffled = pairs.ToArray();
        new Random(seed).Shuffle(shuffled);
        harness.Write(["MSET", .. shuffled.OrderBy(p => p.Key, StringComparer.Ordinal).SelectMany(p => new[] { p.Key, p.Value })]);
        return StateDigest.Compute(harness.Store.CaptureImage());
    }

    [Fact(Timeout = 10_000)]
    public async Task Equal_states_give_equal_digests_in_every_range()
    {
        await Task.Yield();
        var pairs = Enumerable.Range(0, 500).Select(i => ($"k{i}", $"v{i}")).ToList();
        var a = DigestOf(pairs, seed: 1);
        var b = DigestOf(pairs, seed: 2);
        Assert.Equal(a.Root, b.Root);
        Assert.Equal(500, a.KeyCount);
        Assert.Equal(a.Children(""), b.Children(""));
        Assert.Equal(500, a.Children("").Sum(c => c.Keys));
        Assert.Equal(a.Children("").Sum(c => c.Keys), a.RangeDigest("").Keys);
    }

    [Fact(Timeout = 10_000)]
    public async Task One_changed_value_changes_the_root_and_exactly_one_range_per_level()
    {
        await Task.Yield();
        var pairs = Enumerable.Range(0, 500).Select(i => ($"k{i}", $"v{i}")).ToList();
        var a = DigestOf(pairs, seed: 3);
        pairs[42] = ("k42", "V42"); // same length: the record, and so every version, stays where it was
        var b = DigestOf(pairs, seed: 3);
        Assert.NotEqual(a.Root, b.Root);
        var prefix = "";
        for (var level = 0; level < 3; level++)
        {
            var differing = a.Children(prefix).Zip(b.Children(prefix)).Where(p => p.First.Digest != p.Second.Digest).ToList();
            Assert.Single(differing);
            prefix = differing[0].First.Prefix;
        }
        var keys = a.Keys(prefix).Zip(b.Keys(prefix)).Where(p => p.First.EntryHash != p.Second.EntryHash).ToList();
        Assert.Equal("k42", Encoding.UTF8.GetString(Assert.Single(keys).First.Key));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_bad_prefix_is_refused_with_a_message_that_says_why()
    {
        await Task.Yield();
        var digest = DigestOf([("a", "1")], seed: 4);
        Assert.Equal("range prefix 'xz' is not 0 to 16 hex digits (Parameter 'prefix')",
            Assert.Throws<ArgumentException>(() => digest.RangeDigest("xz")).Message);
        Assert.Equal("prefix '0123456789abcdef' is already 16 hex digits long: list its keys instead (Parameter 'prefix')",
            Assert.Throws<ArgumentException>(() => digest.Children("0123456789abcdef")).Message);
        // The last range of the deepest level ends at the end (its upper bound does not fit 64 bits).
        Assert.InRange(digest.RangeDigest("ffffffffffffffff").Keys, 0, 1);
    }
}
