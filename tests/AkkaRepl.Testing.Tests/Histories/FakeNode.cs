using AkkaRepl.Testing.Fakes;
using AkkaRepl.Testing.Histories;
using AkkaRepl.Testing.Resp;

namespace AkkaRepl.Testing.Tests.Histories;

/// <summary>A <see cref="FakeKvStore"/> served over RESP, and a connection factory for the workload runner.</summary>
internal sealed class FakeNode : IAsyncDisposable
{
    private FakeNode(FakeKvStore store, FakeRespServer server)
    {
        Store = store;
        Server = server;
    }

    public FakeKvStore Store { get; }

    public FakeRespServer Server { get; }

    public static FakeNode Start(FakeKvFaults? faults = null)
    {
        var store = new FakeKvStore(faults);
        return new FakeNode(store, FakeRespServer.Start(store.HandleAsync));
    }

    public async Task<IKvClient> ConnectAsync(int client, CancellationToken ct) =>
        new RespKvClient(await RespClient.ConnectAsync(Server.Port, ct: ct));

    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>> FinalState() =>
        new Dictionary<string, IReadOnlyDictionary<string, string?>> { ["fake"] = Store.Snapshot() };

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
