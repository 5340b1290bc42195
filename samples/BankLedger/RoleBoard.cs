/// <summary>
/// What the demo knows of the cluster's roles, from the <c>role</c> lines the nodes print (each node watches its own
/// role with <c>IReplicatedStore.WatchRoleChangesAsync</c>). The primary is the live node that last said it is primary
/// in the highest generation.
/// </summary>
internal sealed class RoleBoard
{
    private readonly object _gate = new();
    private readonly Dictionary<string, (string Role, ulong Generation, string Reason)> _roles = new(); // guarded by _gate
    private readonly HashSet<string> _dead = new();                                                     // guarded by _gate
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);    // guarded by _gate

    /// <summary>Completes at the next role change (or node death).</summary>
    public Task Changed { get { lock (_gate) return _changed.Task; } }

    /// <summary>Takes a <c>role ID ROLE GENERATION REASON...</c> line's words.</summary>
    public void Report(string[] words)
    {
        lock (_gate)
        {
            _roles[words[1]] = (words[2], ulong.Parse(words[3]), string.Join(' ', words[4..]));
            _dead.Remove(words[1]);
            Signal();
        }
    }

    public void MarkDead(string id)
    {
        lock (_gate) { _dead.Add(id); Signal(); }
    }

    /// <summary>The primary (id, generation, why it became primary), or null when no live node claims it.</summary>
    public (string Id, ulong Generation, string Reason)? Primary()
    {
        lock (_gate)
        {
            var claims = _roles.Where(r => r.Value.Role == "primary" && !_dead.Contains(r.Key)).ToList();
            if (claims.Count == 0) return null;
            var best = claims.MaxBy(r => r.Value.Generation);
            return (best.Key, best.Value.Generation, best.Value.Reason);
        }
    }

    /// <summary>The role <paramref name="id"/> last reported, and in which generation.</summary>
    public (string Role, ulong Generation)? RoleOf(string id)
    {
        lock (_gate) return _roles.TryGetValue(id, out var r) ? (r.Role, r.Generation) : null;
    }

    /// <summary>Waits for a live primary in at least generation <paramref name="minGeneration"/>.</summary>
    /// <exception cref="TimeoutException">None within <paramref name="timeout"/>.</exception>
    public async Task<(string Id, ulong Generation, string Reason)> WaitForPrimaryAsync(ulong minGeneration, TimeSpan timeout)
    {
        using var patience = new CancellationTokenSource(timeout);
        while (true)
        {
            var changed = Changed;
            if (Primary() is { } p && p.Generation >= minGeneration) return p;
            try { await changed.WaitAsync(patience.Token); }
            catch (OperationCanceledException) { throw new TimeoutException($"no primary of generation {minGeneration} or later within {timeout.TotalSeconds} s"); }
        }
    }

    /// <summary>Waits until <paramref name="id"/> reports <paramref name="role"/> in at least <paramref name="minGeneration"/>.</summary>
    public async Task WaitForRoleAsync(string id, string role, ulong minGeneration, TimeSpan timeout)
    {
        using var patience = new CancellationTokenSource(timeout);
        while (true)
        {
            var changed = Changed;
            if (RoleOf(id) is { } r && r.Role == role && r.Generation >= minGeneration) return;
            try { await changed.WaitAsync(patience.Token); }
            catch (OperationCanceledException) { throw new TimeoutException($"{id} did not become {role} in generation {minGeneration} or later within {timeout.TotalSeconds} s"); }
        }
    }

    private void Signal()
    {
        var done = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        done.TrySetResult();
    }
}
