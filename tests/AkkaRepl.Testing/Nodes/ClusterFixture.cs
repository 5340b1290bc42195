using AkkaRepl.Testing.Network;
using Xunit.Abstractions;

namespace AkkaRepl.Testing.Nodes;

/// <summary>
/// Owns the node processes of one spec, keyed by <see cref="Role"/>, and a per-test temp root holding each node's
/// directory. <see cref="RunAsync"/> runs the spec body under an overall timeout and, when it fails, writes every
/// node's log to the output given to <see cref="AttachLogsOnFailure"/>. Disposing kills every node and deletes the
/// temp root (kept when AKKAREPL_KEEP_TEMP=1).
/// </summary>
public sealed class ClusterFixture : IAsyncDisposable
{
    /// <summary>Set to 1 to keep the temp root after the test, for post-mortems.</summary>
    public const string KeepTempVariable = "AKKAREPL_KEEP_TEMP";

    // Replicas start in parallel (ReplicationCluster.StartAllAsync), so every access to _nodes holds this lock: two
    // unguarded inserts into a Dictionary can lose one, leaving a node unknown to the spec and never killed.
    private readonly Lock _gate = new();
    private readonly Dictionary<Role, NodeProcess> _nodes = new();
    private ITestOutputHelper? _output;
    private NetworkConductor? _network;
    private Func<NodeEndpoints, int>? _peerPort;

    /// <summary>Creates the temp root <c>$TMP/akkarepl-tests/&lt;testName&gt;-&lt;random&gt;</c>.</summary>
    public ClusterFixture(string testName)
    {
        var safe = new string(testName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
        TempRoot = Path.Combine(Path.GetTempPath(), "akkarepl-tests", $"{safe[..Math.Min(safe.Length, 80)]}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(TempRoot);
    }

    /// <summary>This spec's temp directory.</summary>
    public string TempRoot { get; }

    /// <summary>The started nodes (a copy, in start order).</summary>
    public IReadOnlyDictionary<Role, NodeProcess> Nodes
    {
        get
        {
            lock (_gate)
                return new Dictionary<Role, NodeProcess>(_nodes);
        }
    }

    /// <summary>The node of <paramref name="role"/>.</summary>
    public NodeProcess this[Role role]
    {
        get
        {
            lock (_gate)
                return _nodes.TryGetValue(role, out var node) ? node : throw new KeyNotFoundException($"No node started for role {role}.");
        }
    }

    /// <summary>The directory for <paramref name="role"/>'s files (created): <c>&lt;root&gt;/&lt;role&gt;</c>.</summary>
    public string DirectoryFor(Role role) => Directory.CreateDirectory(Path.Combine(TempRoot, role.Name)).FullName;

    /// <summary>The data directory for <paramref name="role"/>: <c>&lt;root&gt;/&lt;role&gt;/data</c> (created).</summary>
    public string DataDirectoryFor(Role role) => Directory.CreateDirectory(Path.Combine(DirectoryFor(role), "data")).FullName;

    /// <summary>Makes <see cref="RunAsync"/> write every node's log to <paramref name="output"/> when the spec fails.</summary>
    public void AttachLogsOnFailure(ITestOutputHelper output) => _output = output;

    /// <summary>
    /// Points <paramref name="network"/>'s proxies at each node as it becomes ready (and again after a restart through
    /// <see cref="RestartAsync"/>): the target of every proxy leading to a role is 127.0.0.1 and the port chosen by
    /// <paramref name="peerPort"/> (default: the replication port).
    /// </summary>
    public void AttachNetwork(NetworkConductor network, Func<NodeEndpoints, int>? peerPort = null)
    {
        _network = network;
        _peerPort = peerPort ?? (e => e.Repl);
        foreach (var (role, node) in Nodes)
            PointNetworkAt(role, node);
    }

    /// <summary>Starts <paramref name="role"/>'s node and waits until it is ready.</summary>
    public async Task<NodeProcess> StartAsync(Role role, NodeProcessStartInfo startInfo, CancellationToken ct = default)
    {
        lock (_gate)
        {
            if (_nodes.ContainsKey(role))
                throw new InvalidOperationException($"Role {role} already has a node; restart it instead.");
        }
        try
        {
            var node = await NodeProcess.StartAsync(startInfo with { Name = role.Name }, ct).ConfigureAwait(false);
            lock (_gate)
                _nodes[role] = node;
            PointNetworkAt(role, node);
            _output?.WriteLine($"[harness] {role} ready: {node.Endpoints.Line}");
            return node;
        }
        catch (NodeStartException e)
        {
            _output?.WriteLine(e.Message);
            throw;
        }
    }

    /// <summary>SIGKILL <paramref name="role"/>'s node (the TestConductor's "exit" without a goodbye).</summary>
    public Task KillAsync(Role role)
    {
        Note($"kill {role}");
        return this[role].KillAsync();
    }

    /// <summary>SIGTERM <paramref name="role"/>'s node and wait for it to exit (SIGKILL after its stop timeout).</summary>
    public Task<int> StopAsync(Role role)
    {
        Note($"stop {role}");
        return this[role].StopAsync();
    }

    /// <summary>Restarts <paramref name="role"/>'s node on its data directory and re-points the network at it.</summary>
    public async Task RestartAsync(Role role, CancellationToken ct = default)
    {
        Note($"restart {role}");
        var node = this[role];
        await node.RestartAsync(ct).ConfigureAwait(false);
        PointNetworkAt(role, node);
        _output?.WriteLine($"[harness] {role} ready: {node.Endpoints.Line}");
    }

    /// <summary>Writes a checkpoint to the output and into every node's log, so logs show where the spec was.</summary>
    public void Checkpoint(string name)
    {
        var line = Waits.Checkpoint.Format(name);
        _output?.WriteLine(line);
        foreach (var node in Nodes.Values)
            node.Log.Add(NodeLogSource.Harness, line);
    }

    /// <summary>
    /// Runs <paramref name="spec"/> with a token cancelled after <paramref name="timeout"/>; on any failure writes all
    /// node logs to the attached output and rethrows (a timeout becomes a <see cref="TimeoutException"/>).
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> spec, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await spec(cts.Token).WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            WriteLogs(_output);
            if (cts.IsCancellationRequested && e is OperationCanceledException or TimeoutException)
                throw new TimeoutException($"The spec did not finish within {timeout.TotalSeconds:F0}s.", e);
            throw;
        }
    }

    /// <summary>Writes every node's log to <paramref name="output"/> (no-op for null).</summary>
    public void WriteLogs(ITestOutputHelper? output)
    {
        if (output is null)
            return;
        foreach (var (role, node) in Nodes)
        {
            output.WriteLine($"===== log of {role} ({node}) =====");
            output.WriteLine(node.Log.ToString());
        }
    }

    private void Note(string action)
    {
        _output?.WriteLine($"[harness] {action} @ {DateTimeOffset.UtcNow:HH:mm:ss.fff}");
    }

    private void PointNetworkAt(Role role, NodeProcess node)
    {
        if (_network is null || _peerPort is null || !_network.Roles.Contains(role))
            return;
        _network.SetEndpoint(role, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, _peerPort(node.Endpoints)));
    }

    /// <summary>Kills every node and deletes the temp root.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes.Values)
            await node.DisposeAsync().ConfigureAwait(false);
        if (Environment.GetEnvironmentVariable(KeepTempVariable) == "1")
        {
            _output?.WriteLine($"temp root kept: {TempRoot}");
            return;
        }
        try
        {
            Directory.Delete(TempRoot, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
