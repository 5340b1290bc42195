using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using AkkaRepl.Testing.Histories;
using AkkaRepl.Testing.Network;
using AkkaRepl.Testing.Nodes;
using AkkaRepl.Testing.Resp;
using AkkaRepl.Testing.Waits;
using Xunit.Abstractions;

namespace AkkaRepl.Testing.Cluster;

/// <summary>
/// One replication group of real <c>akkarepl</c> processes for a multi-node spec: the roles are declared once, every
/// replication link goes through a <see cref="NetworkConductor"/> proxy, and each node's HOCON config is generated
/// from the roles (members, proxy ports, known HTTP ports, initial primary). Wraps a <see cref="ClusterFixture"/>
/// (logs on failure, temp dirs) and adds the waits a spec needs: <see cref="WaitForPrimaryAsync"/>,
/// <see cref="WaitForAppliedAsync"/>, <see cref="WaitForConvergenceAsync"/>.
/// </summary>
/// <remarks>
/// Config rules (docs/testing.md, "Multi-node specs"): a node reaches peer X's replication port through the proxy
/// <c>Link(self, X)</c>; a peer's HTTP port is its real port once it has announced READY, else 1 (probes to it fail).
/// <see cref="RestartAsync"/> rewrites the node's config with every port known by then before it starts again.
/// </remarks>
public sealed class ReplicationCluster : IAsyncDisposable
{
    /// <summary>Port written for a member whose port is not known yet; connections to it fail at once.</summary>
    public const int UnknownPort = 1;

    private readonly ITestOutputHelper _output;
    // Replicas start in parallel: Remember and ConfigFor hold this lock around the two port maps.
    private readonly Lock _portsGate = new();
    private readonly Dictionary<Role, int> _httpPorts = new();
    private readonly Dictionary<Role, int> _respPorts = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>Creates the fixture, the conductor (one proxy per ordered pair of roles) and attaches logs on failure.</summary>
    /// <param name="testName">Names the temp root.</param>
    /// <param name="output">The test output: harness notes, network actions, logs on failure.</param>
    /// <param name="roles">Every member, each once.</param>
    /// <param name="initialPrimary">The member that is primary on first start.</param>
    /// <param name="settings">Extra HOCON lines appended to every node's config (for example durability).</param>
    public ReplicationCluster(string testName, ITestOutputHelper output, IReadOnlyList<Role> roles, Role initialPrimary, params string[] settings)
    {
        if (!roles.Contains(initialPrimary))
            throw new ArgumentException($"The initial primary {initialPrimary} is not one of the roles.", nameof(initialPrimary));
        _output = output;
        Roles = roles;
        InitialPrimary = initialPrimary;
        Settings = settings;
        Fixture = new ClusterFixture(testName);
        Fixture.AttachLogsOnFailure(output);
        Network = new NetworkConductor(roles, output.WriteLine);
        Fixture.AttachNetwork(Network);
    }

    /// <summary>The members.</summary>
    public IReadOnlyList<Role> Roles { get; }

    /// <summary>The configured first primary.</summary>
    public Role InitialPrimary { get; }

    /// <summary>Extra config lines for every node.</summary>
    public IReadOnlyList<string> Settings { get; }

    /// <summary>The lease specs run with (<see cref="ElectionTiming"/>), three times the product's 500 ms default.</summary>
    public static readonly TimeSpan SpecLease = TimeSpan.FromMilliseconds(1500);

    /// <summary>
    /// Election timing written before the spec's own settings (which may override it); null for the product defaults.
    /// Specs check safety and progress, not speed: a full CI run puts dozens of processes on 2 cores, where a
    /// 500 ms lease can lapse on a starved host and turn a spec about something else into an election. How fast
    /// failover is with the defaults is measured by <c>akkarepl bench failover</c> (docs/benchmarks.md).
    /// </summary>
    public string? ElectionTiming { get; init; } =
        $"akkarepl.election {{ lease = {SpecLease.TotalMilliseconds:F0} ms, election-timeout = 2500 ms, acceptable-pause = 1 s }}";

    /// <summary>
    /// Election timing for specs about something other than leadership (replica faults, rebuilds, catch-up) whose
    /// primary must stay put: a 5 s lease, elections still on. A CI run once starved a fresh cluster for over 1.5 s (the spec lease) while another test
    /// assembly ran beside it; the primary stepped down and the spec's first writes were refused with READONLY.
    /// </summary>
    public const string StablePrimaryTiming = "akkarepl.election { lease = 5000 ms, election-timeout = 8000 ms, acceptable-pause = 3 s }";

    /// <summary>Command-line arguments added to every node's start (for example <c>--log-level Debug</c>).</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>The node processes and temp dirs.</summary>
    public ClusterFixture Fixture { get; }

    /// <summary>The proxies between the roles.</summary>
    public NetworkConductor Network { get; }

    /// <summary>
    /// When set, every node runs in its own network namespace and peers talk directly over veth links
    /// (<see cref="NamespaceNetwork"/>); the proxies are not used. Owned (disposed) by the cluster.
    /// </summary>
    public NamespaceNetwork? Namespaces { get; init; }

    /// <summary>Where a spec breaks the network: the namespaces when set, else the proxies.</summary>
    public INetworkFaults Faults => Namespaces is { } namespaces ? namespaces : Network;

    /// <summary>The node of <paramref name="role"/>.</summary>
    public NodeProcess this[Role role] => Fixture[role];

    /// <summary>Where <paramref name="role"/>'s config file lives (rewritten before each restart).</summary>
    public string ConfigPathFor(Role role) => Path.Combine(Fixture.DirectoryFor(role), "node.conf");

    /// <summary>The HOCON config of <paramref name="role"/>: every member, peers' replication ports being this role's proxies.</summary>
    public string ConfigFor(Role role)
    {
        var text = new StringBuilder();
        text.AppendLine("akkarepl {");
        text.AppendLine("  node.cluster-id = \"multinode-spec\"");
        if (Namespaces is { } own)
            text.AppendLine(CultureInfo.InvariantCulture, $"  node.bind-address = \"{own.AddressOf(role)}\"");
        text.AppendLine("  cluster {");
        text.AppendLine("    members = [");
        foreach (var member in Roles)
        {
            if (Namespaces is { } namespaces)
            {
                text.Append(CultureInfo.InvariantCulture,
                    $"      {{ id = {member.Name}, host = \"{namespaces.AddressOf(member)}\", replication-port = {NamespaceNetwork.ReplicationPort}, resp-port = {NamespaceNetwork.RespPort}, http-port = {NamespaceNetwork.HttpPort} }}");
                text.AppendLine();
                continue;
            }
            var repl = member == role ? UnknownPort : Network.RemotePort(role, member).Port;
            text.Append(CultureInfo.InvariantCulture,
                $"      {{ id = {member.Name}, host = \"127.0.0.1\", replication-port = {repl}, resp-port = {Known(_respPorts, member)}, http-port = {Known(_httpPorts, member)} }}");
            text.AppendLine();
        }
        text.AppendLine("    ]");
        text.AppendLine(CultureInfo.InvariantCulture, $"    initial-primary = {InitialPrimary.Name}");
        text.AppendLine("  }");
        text.AppendLine("}");
        // Specs may bind nodes to non-loopback addresses (network namespaces) without RESP users: allowed explicitly.
        text.AppendLine("akkarepl.security.allow-unauthenticated-remote = on");
        if (ElectionTiming is { } timing)
            text.AppendLine(timing);
        foreach (var line in Settings)
            text.AppendLine(line);
        return text.ToString();

        int Known(Dictionary<Role, int> ports, Role member)
        {
            lock (_portsGate)
                return ports.TryGetValue(member, out var port) ? port : UnknownPort;
        }
    }

    /// <summary>
    /// Starts every role's node (ports 0) and waits for each READY line, then rewrites all configs with the real ports.
    /// The initial primary starts first; then the replicas at once, or with <paramref name="oneByOne"/> in role order.
    /// Either way each replica's config already names the primary's real RESP and HTTP ports (what <c>ROLE</c> on a
    /// replica reports, for example).
    /// </summary>
    public async Task StartAllAsync(CancellationToken ct, bool oneByOne = false)
    {
        // The initial primary first, so replicas stream from their first dial and specs start the same way every run
        // (StartupOrderSpec covers replicas that start before their primary).
        await StartAsync(InitialPrimary, ct).ConfigureAwait(false);
        var replicas = Roles.Where(r => r != InitialPrimary).ToArray();
        if (oneByOne)
            foreach (var role in replicas)
                await StartAsync(role, ct).ConfigureAwait(false);
        else
            await Task.WhenAll(replicas.Select(role => StartAsync(role, ct))).ConfigureAwait(false);
        RewriteConfigs();
        Fixture.Checkpoint("all-started");
    }

    /// <summary>Starts one role's node and waits for READY.</summary>
    public async Task StartAsync(Role role, CancellationToken ct)
    {
        var inNamespace = Namespaces is not null;
        var start = AkkaReplNode.CreateStartInfo(new AkkaReplNodeOptions
        {
            NodeId = role.Name,
            DataDirectory = Fixture.DataDirectoryFor(role),
            ConfigPath = ConfigPathFor(role),
            ConfigText = ConfigFor(role),
            ExtraArguments = ExtraArguments,
            RespPort = inNamespace ? NamespaceNetwork.RespPort : 0,
            HttpPort = inNamespace ? NamespaceNetwork.HttpPort : 0,
            ReplPort = inNamespace ? NamespaceNetwork.ReplicationPort : 0,
        });
        var node = await Fixture.StartAsync(role, Namespaces?.Wrap(role, start) ?? start, ct).ConfigureAwait(false);
        Remember(role, node);
    }

    /// <summary>Writes every node's config again with every port known now (so restarted nodes can probe their peers).</summary>
    public void RewriteConfigs()
    {
        foreach (var role in Roles)
            File.WriteAllText(ConfigPathFor(role), ConfigFor(role));
    }

    /// <summary>SIGKILL the node of <paramref name="role"/>.</summary>
    public Task KillAsync(Role role) => Fixture.KillAsync(role);

    /// <summary>Rewrites the configs with the real ports, then restarts <paramref name="role"/> on its data directory.</summary>
    public async Task RestartAsync(Role role, CancellationToken ct)
    {
        RewriteConfigs();
        await Fixture.RestartAsync(role, ct).ConfigureAwait(false);
        Remember(role, this[role]);
        RewriteConfigs();
    }

    /// <summary>Writes a named checkpoint (like an Akka barrier) to the output and every node's log.</summary>
    public void Checkpoint(string name) => Fixture.Checkpoint(name);

    /// <summary>GET /status of <paramref name="role"/>.</summary>
    public async Task<NodeStatus> StatusAsync(Role role, CancellationToken ct)
    {
        using var response = await _http.GetAsync(Url(role, "status"), ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"GET /status of {role} returned {(int)response.StatusCode}: {body}");
        return StatusClient.Parse(body);
    }

    /// <summary>Waits until <paramref name="role"/> reports itself primary, accepting writes, in a generation of at least <paramref name="minGeneration"/>.</summary>
    public Task<NodeStatus> WaitForPrimaryAsync(Role role, long minGeneration, CancellationToken ct, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(() => StatusAsync(role, ct),
            s => s.Role == "primary" && s.Generation >= minGeneration && s.Bool("acceptsWrites"),
            timeout ?? TimeSpan.FromSeconds(20), $"{role} to be a primary accepting writes in generation >= {minGeneration}", ct);

    /// <summary>Waits until <paramref name="role"/> is a replica following <paramref name="primary"/> with a streaming upstream link.</summary>
    public Task<NodeStatus> WaitForReplicaOfAsync(Role role, Role primary, CancellationToken ct, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(() => StatusAsync(role, ct),
            s => s.Role == "replica" && s.Text("primaryId") == primary.Name,
            timeout ?? TimeSpan.FromSeconds(20), $"{role} to be a replica of {primary}", ct);

    /// <summary>Waits until <paramref name="role"/> has applied the log up to <paramref name="lsn"/>.</summary>
    public Task<NodeStatus> WaitForAppliedAsync(Role role, long lsn, CancellationToken ct, TimeSpan? timeout = null) =>
        WaitForLsnAsync(role, lsn, ct, LsnKind.Applied, timeout);

    /// <summary>Waits until <paramref name="role"/>'s written, flushed or applied LSN (<paramref name="kind"/>) reaches <paramref name="lsn"/>.</summary>
    public Task<NodeStatus> WaitForLsnAsync(Role role, long lsn, CancellationToken ct, LsnKind kind = LsnKind.Applied, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(() => StatusAsync(role, ct),
            s => kind switch { LsnKind.Written => s.WrittenLsn, LsnKind.Flushed => s.FlushedLsn, _ => s.AppliedLsn } >= lsn,
            timeout ?? TimeSpan.FromSeconds(20), $"{role} to have {kind.ToString().ToLowerInvariant()} LSN {lsn}", ct);

    /// <summary>Waits until <paramref name="role"/> is in generation <paramref name="generation"/> or later, in any role.</summary>
    public Task<NodeStatus> WaitForGenerationAsync(Role role, long generation, CancellationToken ct, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(() => StatusAsync(role, ct), s => s.Generation >= generation,
            timeout ?? TimeSpan.FromSeconds(20), $"{role} to reach generation {generation}", ct);

    /// <summary>
    /// Waits until <paramref name="primary"/> reports its link to <paramref name="replica"/> in <paramref name="state"/>
    /// (as on /status: "streaming", "catching-up", "needs-rebuild", "disconnected"...). Returns that replica entry.
    /// </summary>
    public async Task<JsonElement> WaitForReplicaStateAsync(Role primary, Role replica, string state, CancellationToken ct, TimeSpan? timeout = null)
    {
        var status = await Eventually.WaitAsync(() => StatusAsync(primary, ct),
            s => s.Replica(replica.Name) is { } r && r.TryGetProperty("state", out var v) && v.GetString() == state,
            timeout ?? TimeSpan.FromSeconds(20), $"{primary} to see {replica}'s link {state}", ct).ConfigureAwait(false);
        return status.Replica(replica.Name)!.Value;
    }

    /// <summary>
    /// Waits until every node in <paramref name="roles"/> (default: all) has applied what <paramref name="primary"/>
    /// has written, with the primary's written LSN unchanged between two reads (no writes in flight).
    /// Returns that LSN.
    /// </summary>
    public async Task<long> WaitForConvergenceAsync(Role primary, CancellationToken ct, IEnumerable<Role>? roles = null, TimeSpan? timeout = null)
    {
        var members = (roles ?? Roles).ToArray();
        var result = await Eventually.WaitAsync(async () =>
        {
            var before = await StatusAsync(primary, ct).ConfigureAwait(false);
            var applied = new List<(Role Role, long Applied)>();
            foreach (var role in members)
                applied.Add((role, (await StatusAsync(role, ct).ConfigureAwait(false)).AppliedLsn));
            var after = await StatusAsync(primary, ct).ConfigureAwait(false);
            return new Convergence(before.WrittenLsn, after.WrittenLsn, applied);
        }, // Equal, not "at least": a node past the primary holds a divergent suffix it has not cut yet (a returning
           // old primary in the moment between following the new one and truncating), which is not convergence.
           c => c.Before == c.After && c.Applied.All(a => a.Applied == c.After),
            timeout ?? TimeSpan.FromSeconds(30), $"every node to apply what {primary} wrote", ct).ConfigureAwait(false);
        Checkpoint($"converged-at-{result.After}");
        return result.After;
    }

    /// <summary>POST /admin/promote on <paramref name="role"/>.</summary>
    public Task PromoteAsync(Role role, CancellationToken ct) => PostAsync(role, "admin/promote", ct);

    /// <summary>POST /admin/follow on <paramref name="role"/>: follow <paramref name="primary"/> of <paramref name="generation"/>.</summary>
    public Task FollowAsync(Role role, Role primary, long generation, CancellationToken ct) =>
        PostAsync(role, $"admin/follow?primary={primary.Name}&generation={generation.ToString(CultureInfo.InvariantCulture)}", ct);

    /// <summary>A RESP connection to <paramref name="role"/> (direct, not through a proxy).</summary>
    public Task<RespClient> ConnectAsync(Role role, CancellationToken ct, TimeSpan? commandTimeout = null) =>
        RespClient.ConnectAsync(new IPEndPoint(HostOf(role), this[role].Endpoints.Resp), null, commandTimeout, ct);

    /// <summary>A workload client factory that always talks to <paramref name="role"/>'s current RESP port.</summary>
    public Func<int, CancellationToken, Task<IKvClient>> ClientsOf(Func<Role> role) =>
        async (_, token) => new RespKvClient(await ConnectAsync(role(), token).ConfigureAwait(false));

    /// <summary>Reads every key of <paramref name="history"/> from each node in <paramref name="roles"/>: the input of the acknowledged-write checker.</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>>> FinalStatesAsync(
        History history, IEnumerable<Role> roles, CancellationToken ct)
    {
        var members = roles.ToArray();
        // A write a client sent just before its workload stopped can still land while the nodes are read, one after
        // another (seen once: p and r1 read before three late writes, r2 after them, reported as "nodes disagree").
        // So the reads count only when no node's applied LSN moved while they ran: every state is then that of one
        // log position per node. A real divergence (same position, other values) is still reported by the checker.
        var settled = await Eventually.WaitAsync(async () =>
        {
            var before = await AppliedLsnsAsync(members, ct).ConfigureAwait(false);
            var states = new Dictionary<string, IReadOnlyDictionary<string, string?>>();
            foreach (var role in members)
            {
                await using var client = new RespKvClient(await ConnectAsync(role, ct).ConfigureAwait(false));
                states[role.Name] = await FinalState.ReadAsync(client, history, ct).ConfigureAwait(false);
            }
            var after = await AppliedLsnsAsync(members, ct).ConfigureAwait(false);
            return (Before: before, After: after, States: states);
        }, r => r.Before.SequenceEqual(r.After), TimeSpan.FromSeconds(30), "the final states to be read while no node applied anything", ct).ConfigureAwait(false);
        return settled.States;
    }

    private async Task<long[]> AppliedLsnsAsync(IEnumerable<Role> roles, CancellationToken ct)
    {
        var applied = new List<long>();
        foreach (var role in roles) applied.Add((await StatusAsync(role, ct).ConfigureAwait(false)).AppliedLsn);
        return applied.ToArray();
    }

    private async Task PostAsync(Role role, string path, CancellationToken ct)
    {
        Checkpoint($"POST /{path} on {role}");
        using var response = await _http.PostAsync(Url(role, path), null, ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        _output.WriteLine($"[harness] POST /{path} on {role}: {(int)response.StatusCode} {body}");
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"POST /{path} on {role} returned {(int)response.StatusCode}: {body}");
    }

    private Uri Url(Role role, string path) =>
        new($"http://{HostOf(role)}:{this[role].Endpoints.Http.ToString(CultureInfo.InvariantCulture)}/{path}");

    /// <summary>Where the test reaches <paramref name="role"/>: loopback, or its namespace's address.</summary>
    public IPAddress HostOf(Role role) => Namespaces?.AddressOf(role) ?? IPAddress.Loopback;

    private void Remember(Role role, NodeProcess node)
    {
        lock (_portsGate)
        {
            _httpPorts[role] = node.Endpoints.Http;
            _respPorts[role] = node.Endpoints.Resp;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Fixture.DisposeAsync().ConfigureAwait(false);
        await Network.DisposeAsync().ConfigureAwait(false);
        if (Namespaces is not null)
            await Namespaces.DisposeAsync().ConfigureAwait(false);
        _http.Dispose();
    }

    private sealed record Convergence(long Before, long After, IReadOnlyList<(Role Role, long Applied)> Applied)
    {
        public override string ToString() =>
            $"primary written {Before}->{After}; applied: {string.Join(", ", Applied.Select(a => $"{a.Role}={a.Applied}"))}";
    }
}

/// <summary>Which of a node's log positions a wait is about.</summary>
public enum LsnKind
{
    /// <summary>Written to the local WAL.</summary>
    Written,
    /// <summary>Flushed (durable) locally.</summary>
    Flushed,
    /// <summary>Applied to the state machine.</summary>
    Applied,
}

/// <summary>Reads fields of <c>/status</c> that <see cref="NodeStatus"/> does not name.</summary>
public static class NodeStatusFields
{
    /// <summary>A string field, or null when absent or not a string.</summary>
    public static string? Text(this NodeStatus status, string name) =>
        status.Raw.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A boolean field (false when absent).</summary>
    public static bool Bool(this NodeStatus status, string name) =>
        status.Raw.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    /// <summary>An integer field (0 when absent).</summary>
    public static long Number(this NodeStatus status, string name) =>
        status.Raw.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;

    /// <summary>The primary's view of one replica (<c>replicas[]</c> entry with that nodeId), or null.</summary>
    public static JsonElement? Replica(this NodeStatus status, string nodeId)
    {
        if (!status.Raw.TryGetProperty("replicas", out var replicas) || replicas.ValueKind != JsonValueKind.Array)
            return null;
        foreach (var replica in replicas.EnumerateArray())
            if (replica.TryGetProperty("nodeId", out var id) && id.GetString() == nodeId)
                return replica;
        return null;
    }
}
