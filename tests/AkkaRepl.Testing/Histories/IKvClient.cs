namespace AkkaRepl.Testing.Histories;

/// <summary>
/// The four operations a workload drives, so the same runner works over RESP (<see cref="RespKvClient"/>) or
/// against an in-process fake. Implementations throw <see cref="Resp.RespErrorException"/> for error replies and
/// <see cref="TimeoutException"/> or <see cref="IOException"/> when the outcome is unknown.
/// </summary>
public interface IKvClient : IAsyncDisposable
{
    /// <summary>SET key value.</summary>
    Task SetAsync(string key, string value, CancellationToken ct);

    /// <summary>GET key; null for nil.</summary>
    Task<string?> GetAsync(string key, CancellationToken ct);

    /// <summary>INCR key; the new value.</summary>
    Task<long> IncrementAsync(string key, CancellationToken ct);

    /// <summary>
    /// Sets <paramref name="key"/> to <paramref name="newValue"/> if it holds <paramref name="expected"/> (null = absent).
    /// True: set. False: it held something else. Null: aborted by a concurrent change, nothing was set.
    /// </summary>
    Task<bool?> CompareAndSetAsync(string key, string? expected, string newValue, CancellationToken ct);
}
