using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Cluster;

namespace AkkaRepl.Replication.Tests.Cluster;

public sealed class GenerationHistoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("akkarepl-gen-").FullName;
    private string PathOf(string name) => Path.Combine(_dir, name);
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static GenerationStart G(ulong g, ulong lsn) => new(new Generation(g), new Lsn(lsn));

    [Fact(Timeout = 5_000)]
    public async Task Entries_survive_reopening_and_adding_the_same_entry_twice_is_harmless()
    {
        await Task.Yield();
        var h = GenerationHistory.Open(PathOf("g"));
        h.Add(new Generation(1), new Lsn(0));
        h.Add(new Generation(3), new Lsn(500));
        h.Add(new Generation(3), new Lsn(500));
        var again = GenerationHistory.Open(PathOf("g"));
        Assert.Equal(new[] { G(1, 0), G(3, 500) }, again.Entries);
        Assert.Equal(new Generation(3), again.Latest);
        Assert.Equal(40, new FileInfo(PathOf("g")).Length);
    }

    [Fact(Timeout = 5_000)]
    public async Task A_torn_last_entry_is_cut_on_open()
    {
        await Task.Yield();
        var h = GenerationHistory.Open(PathOf("g"));
        h.Add(new Generation(1), new Lsn(0));
        h.Add(new Generation(2), new Lsn(100));
        await using (var f = new FileStream(PathOf("g"), FileMode.Append)) f.Write(new byte[] { 1, 2, 3, 4, 5, 6, 7 });
        var again = GenerationHistory.Open(PathOf("g"));
        Assert.Equal(new[] { G(1, 0), G(2, 100) }, again.Entries);
        Assert.Equal(40, new FileInfo(PathOf("g")).Length);

        var bytes = await File.ReadAllBytesAsync(PathOf("g"));
        bytes[25] ^= 1; // corrupt the second entry
        await File.WriteAllBytesAsync(PathOf("g"), bytes);
        Assert.Equal(new[] { G(1, 0) }, GenerationHistory.Open(PathOf("g")).Entries);
    }

    [Fact(Timeout = 5_000)]
    public async Task A_corrupt_entry_with_good_entries_after_it_is_refused_with_a_clear_error_not_cut()
    {
        await Task.Yield();
        // Each entry is synced before the next is written, so only the last can be torn: a bad entry followed by a
        // whole one is corruption, and cutting there would silently drop generations the WAL still holds.
        var h = GenerationHistory.Open(PathOf("g"));
        h.Add(new Generation(1), new Lsn(0));
        h.Add(new Generation(2), new Lsn(100));
        h.Add(new Generation(3), new Lsn(300));
        var bytes = await File.ReadAllBytesAsync(PathOf("g"));
        bytes[25] ^= 1; // the second entry's LSN
        await File.WriteAllBytesAsync(PathOf("g"), bytes);
        var error = Assert.Throws<AkkaRepl.Core.Errors.StorageCorruptException>(() => GenerationHistory.Open(PathOf("g")));
        Assert.Contains(PathOf("g"), error.Message);
        Assert.Contains("entry 1", error.Message);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(PathOf("g"))); // left as it was, for the operator
    }

    [Fact(Timeout = 5_000)]
    public async Task Trim_drops_generations_that_start_at_or_after_the_log_end()
    {
        await Task.Yield();
        var h = GenerationHistory.Open(PathOf("g"));
        h.Add(new Generation(1), new Lsn(0));
        h.Add(new Generation(2), new Lsn(100));
        h.Add(new Generation(4), new Lsn(300));
        h.TrimTo(new Lsn(300));
        Assert.Equal(new[] { G(1, 0), G(2, 100) }, GenerationHistory.Open(PathOf("g")).Entries);
    }

    [Fact(Timeout = 5_000)]
    public async Task Out_of_order_entries_are_refused()
    {
        await Task.Yield();
        var h = GenerationHistory.Open(PathOf("g"));
        h.Add(new Generation(2), new Lsn(100));
        Assert.Throws<InvalidOperationException>(() => h.Add(new Generation(2), new Lsn(200)));
        Assert.Throws<InvalidOperationException>(() => h.Add(new Generation(1), new Lsn(300)));
    }

    [Fact(Timeout = 5_000)]
    public async Task Common_point_is_where_the_newest_shared_generation_stops_on_either_side()
    {
        await Task.Yield();
        var primary = GenerationHistory.Open(PathOf("p"));
        primary.Add(new Generation(1), new Lsn(0));
        primary.Add(new Generation(2), new Lsn(1000)); // promoted at 1000
        // An old primary of generation 1 that went on writing to 1500 alone: its suffix 1000..1500 diverged.
        Assert.Equal(new Lsn(1000), primary.CommonPoint(new Lsn(5000), [G(1, 0)], new Lsn(1500)));
        // A replica that stopped at 800 in generation 1 is simply behind.
        Assert.Equal(new Lsn(800), primary.CommonPoint(new Lsn(5000), [G(1, 0)], new Lsn(800)));
        // A replica that follows generation 2 up to 4000 shares everything it has.
        Assert.Equal(new Lsn(4000), primary.CommonPoint(new Lsn(5000), [G(1, 0), G(2, 1000)], new Lsn(4000)));
        // A node whose generation 3 the primary never saw diverged from the start of that generation.
        Assert.Equal(new Lsn(1000), primary.CommonPoint(new Lsn(5000), [G(1, 0), G(3, 1000)], new Lsn(2000)));
        // Nothing in common: start from scratch.
        Assert.Equal(Lsn.Zero, primary.CommonPoint(new Lsn(5000), [G(7, 0)], new Lsn(10)));
    }
}
