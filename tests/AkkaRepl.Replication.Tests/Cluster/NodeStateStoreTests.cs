using AkkaRepl.Core.Errors;
using AkkaRepl.Replication.Cluster;

namespace AkkaRepl.Replication.Tests.Cluster;

public sealed class NodeStateStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("akkarepl-state-").FullName;
    private string StateFile => Path.Combine(_dir, "node-state.json");
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact(Timeout = 5_000)]
    public async Task A_saved_state_reads_back()
    {
        await Task.Yield();
        var store = new NodeStateStore(_dir);
        Assert.Null(store.Load());
        store.Save(new NodeState(4, NodeRole.Replica, "p"));
        Assert.Equal(new NodeState(4, NodeRole.Replica, "p"), new NodeStateStore(_dir).Load());
        store.Save(new NodeState(5, NodeRole.Primary, null));
        Assert.Equal(new NodeState(5, NodeRole.Primary, null), new NodeStateStore(_dir).Load());
    }

    /// <summary>A missing field would read as its default: no role is Primary (the enum's first value), no generation is
    /// 0. A damaged or hand-edited file would then start the node as a primary. It is refused, naming the file.</summary>
    [Theory(Timeout = 5_000)]
    [InlineData("""{ "highestGeneration": 3, "primaryId": "p" }""")]
    [InlineData("""{ "role": "replica", "primaryId": "p" }""")]
    [InlineData("""{ }""")]
    public async Task A_state_file_missing_a_field_is_refused_naming_the_file(string json)
    {
        await Task.Yield();
        await File.WriteAllTextAsync(StateFile, json);
        var error = Assert.Throws<StorageCorruptException>(() => new NodeStateStore(_dir).Load());
        Assert.Contains(StateFile, error.Message);
    }
}
