namespace AkkaRepl.Testing.Histories;

/// <summary>Reads a node's final values of the keys a history touched, for the <c>AcknowledgedWriteChecker</c>.</summary>
public static class FinalState
{
    /// <summary>
    /// GETs every key of <paramref name="history"/> through <paramref name="client"/> (nil = absent). Read each
    /// surviving node once the cluster has converged (e.g. all applied LSNs equal), directly, not through a proxy.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, string?>> ReadAsync(IKvClient client, History history, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(history);
        var state = new Dictionary<string, string?>();
        foreach (var key in history.Keys)
            state[key] = await client.GetAsync(key, ct).ConfigureAwait(false);
        return state;
    }
}
