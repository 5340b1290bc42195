using AkkaRepl.Testing.Resp;

namespace AkkaRepl.Testing.Histories;

/// <summary>
/// <see cref="IKvClient"/> over a <see cref="RespClient"/>: SET, GET, INCR, and compare-and-set as
/// WATCH key, GET key, then UNWATCH (mismatch) or MULTI / SET / EXEC (a nil EXEC reply means aborted).
/// </summary>
public sealed class RespKvClient(RespClient client) : IKvClient
{
    /// <summary>The underlying connection.</summary>
    public RespClient Client { get; } = client;

    /// <inheritdoc />
    public async Task SetAsync(string key, string value, CancellationToken ct) =>
        Expect("OK", await Client.SendAsync(["SET", key, value], ct).ConfigureAwait(false));

    /// <inheritdoc />
    public async Task<string?> GetAsync(string key, CancellationToken ct) =>
        (await Client.SendAsync(["GET", key], ct).ConfigureAwait(false)).AsString();

    /// <inheritdoc />
    public async Task<long> IncrementAsync(string key, CancellationToken ct) =>
        (await Client.SendAsync(["INCR", key], ct).ConfigureAwait(false)).AsInteger();

    /// <inheritdoc />
    public async Task<bool?> CompareAndSetAsync(string key, string? expected, string newValue, CancellationToken ct)
    {
        Expect("OK", await Client.SendAsync(["WATCH", key], ct).ConfigureAwait(false));
        var current = (await Client.SendAsync(["GET", key], ct).ConfigureAwait(false)).AsString();
        if (current != expected)
        {
            Expect("OK", await Client.SendAsync(["UNWATCH"], ct).ConfigureAwait(false));
            return false;
        }
        Expect("OK", await Client.SendAsync(["MULTI"], ct).ConfigureAwait(false));
        var queued = await Client.SendAsync(["SET", key, newValue], ct).ConfigureAwait(false);
        if (queued.IsError || queued.Text != "QUEUED")
        {
            // Refused inside MULTI (the node stopped being primary): end the transaction, so the connection is not
            // left queueing the next operations.
            await Client.SendAsync(["DISCARD"], ct).ConfigureAwait(false);
            Expect("QUEUED", queued);
        }
        var exec = await Client.SendAsync(["EXEC"], ct).ConfigureAwait(false);
        if (exec.IsNil)
            return null;
        if (exec.IsError)
            throw new RespErrorException(exec.Text!);
        if (exec.Kind != RespKind.Array || exec.Items!.Count != 1)
            throw new RespProtocolException($"EXEC of one SET returned {exec}.");
        Expect("OK", exec.Items[0]);
        return true;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Client.DisposeAsync();

    private static void Expect(string simple, RespValue reply)
    {
        if (reply.IsError)
            throw new RespErrorException(reply.Text!);
        if (reply.Kind != RespKind.SimpleString || reply.Text != simple)
            throw new RespProtocolException($"Expected +{simple}, got {reply}.");
    }
}
