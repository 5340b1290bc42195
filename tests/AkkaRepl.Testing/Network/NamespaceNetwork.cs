using System.Diagnostics;
using System.Globalization;
using System.Net;
using AkkaRepl.Testing.Nodes;

namespace AkkaRepl.Testing.Network;

/// <summary>
/// The same partitions as <see cref="NetworkConductor"/>, built in the kernel instead of a proxy: every role runs in
/// its own network namespace, joined to a bridge in the test's namespace by a veth pair, with its own address on a
/// private /24 (the bridge, where the test runs, is .1). Nodes talk to each other directly, so nothing in the path
/// is test code.
/// </summary>
/// <remarks>
/// A cut from X to Y is a blackhole route to Y's address inside X's namespace (this kernel has no netem, and routes
/// need no iptables): packets X sends to Y are dropped, established connections stall, new connects fail at once.
/// Routes to the bridge are never cut, so the test can still read every node's /status during a partition.
/// <see cref="LinkDown"/> takes a role's veth down instead, which also hides it from the test.
/// Needs root on Linux and iproute2; <see cref="UnavailableReason"/> says why not when it cannot run. Namespaces and
/// the bridge are named after the test process id, so leftovers of a killed run are removed by the next one.
/// </remarks>
public sealed class NamespaceNetwork : INetworkFaults, IAsyncDisposable
{
    /// <summary>Every node listens on these ports in its own namespace: namespaces cannot collide, so no port 0 needed.</summary>
    public const int RespPort = 6379, HttpPort = 8080, ReplicationPort = 7000;

    private const string Prefix = "akr";
    private static int _clusters;
    private static readonly Lazy<string?> Probe = new(ProbeOnce);

    private readonly Dictionary<Role, int> _index = new();
    private readonly HashSet<(Role From, Role To)> _cuts = new();
    private readonly HashSet<Role> _down = new();
    private readonly Action<string> _log;
    private readonly string _id;
    private readonly int _subnet;
    private readonly object _gate = new();

    private NamespaceNetwork(IReadOnlyList<Role> roles, Action<string> log)
    {
        Roles = roles;
        _log = log;
        _id = $"{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}x{Interlocked.Increment(ref _clusters).ToString(CultureInfo.InvariantCulture)}";
        _subnet = FreeSubnet();
        for (var i = 0; i < roles.Count; i++)
            _index[roles[i]] = i;
    }

    /// <summary>Why namespaces cannot be used here (not root, not Linux, no iproute2), or null when they can.</summary>
    public static string? UnavailableReason => Probe.Value;

    /// <summary>The roles, each in its own namespace.</summary>
    public IReadOnlyList<Role> Roles { get; }

    /// <summary>The bridge's address: where the test process is seen from inside a namespace.</summary>
    public IPAddress BridgeAddress => Address(1);

    /// <summary>Builds the bridge, one namespace and veth pair per role, and brings everything up.</summary>
    /// <exception cref="InvalidOperationException">Namespaces are unavailable (see <see cref="UnavailableReason"/>) or a step failed.</exception>
    public static NamespaceNetwork Create(IEnumerable<Role> roles, Action<string>? log = null)
    {
        if (UnavailableReason is { } reason)
            throw new InvalidOperationException($"Network namespaces are unavailable: {reason}");
        RemoveLeftovers();
        var network = new NamespaceNetwork(roles.ToArray(), log ?? (_ => { }));
        try
        {
            network.Build();
            return network;
        }
        catch
        {
            network.Teardown();
            throw;
        }
    }

    /// <summary>The namespace <paramref name="role"/> runs in.</summary>
    public string NamespaceOf(Role role) => $"{Prefix}{_id}n{Index(role).ToString(CultureInfo.InvariantCulture)}";

    /// <summary><paramref name="role"/>'s address, reachable from the test and from every other namespace.</summary>
    public IPAddress AddressOf(Role role) => Address(10 + Index(role));

    /// <summary>Runs <paramref name="start"/>'s command (and its restarts) inside <paramref name="role"/>'s namespace.</summary>
    public NodeProcessStartInfo Wrap(Role role, NodeProcessStartInfo start)
    {
        var prefix = new[] { "netns", "exec", NamespaceOf(role), start.FileName };
        // `ip netns exec` execs the command in place, so the process the harness signals is the node itself.
        return start with
        {
            FileName = "ip",
            Arguments = [.. prefix, .. start.Arguments],
            RestartArguments = start.RestartArguments is { } restart ? previous => [.. prefix, .. restart(previous)] : null,
        };
    }

    /// <inheritdoc />
    public void Cut(Role a, Role b)
    {
        _log($"[netns] cut {a} <-> {b}");
        lock (_gate)
        {
            Blackhole(a, b);
            Blackhole(b, a);
        }
    }

    /// <inheritdoc />
    public void CutOneWay(Role from, Role to)
    {
        _log($"[netns] cut {from} -> {to}");
        lock (_gate)
            Blackhole(from, to);
    }

    /// <inheritdoc />
    public void Isolate(Role role)
    {
        _log($"[netns] isolate {role}");
        lock (_gate)
            foreach (var other in Roles.Where(r => r != role))
            {
                Blackhole(role, other);
                Blackhole(other, role);
            }
    }

    /// <inheritdoc />
    public void Split(IEnumerable<Role> sideA, IEnumerable<Role> sideB)
    {
        var a = sideA.ToArray();
        var b = sideB.ToArray();
        if (a.Intersect(b).Any())
            throw new ArgumentException($"A role cannot be on both sides of a split: {string.Join(", ", a.Intersect(b))}.");
        _log($"[netns] split [{string.Join(",", a)}] | [{string.Join(",", b)}]");
        lock (_gate)
            foreach (var x in a)
                foreach (var y in b)
                {
                    Blackhole(x, y);
                    Blackhole(y, x);
                }
    }

    /// <summary>Takes <paramref name="role"/>'s veth link down: it is cut from everyone, the test included.</summary>
    public void LinkDown(Role role)
    {
        _log($"[netns] link down {role}");
        lock (_gate)
        {
            IpCommand.Run("link", "set", HostVeth(role), "down");
            _down.Add(role);
        }
    }

    /// <inheritdoc />
    public void Heal()
    {
        _log("[netns] heal");
        lock (_gate)
        {
            foreach (var (from, to) in _cuts)
                IpCommand.Run("-n", NamespaceOf(from), "route", "del", "blackhole", $"{AddressOf(to)}/32");
            _cuts.Clear();
            foreach (var role in _down)
                IpCommand.Run("link", "set", HostVeth(role), "up");
            _down.Clear();
        }
    }

    /// <summary>The blackhole routes now in place, as "from->to" (read back from the kernel, not from this object).</summary>
    public IReadOnlyList<string> ActiveCuts()
    {
        var cuts = new List<string>();
        foreach (var from in Roles)
        {
            var routes = IpCommand.Run("-n", NamespaceOf(from), "route", "show", "type", "blackhole");
            foreach (var to in Roles.Where(r => r != from && routes.Contains(AddressOf(r).ToString() + " ", StringComparison.Ordinal)))
                cuts.Add($"{from}->{to}");
        }
        return cuts;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Teardown();
        return ValueTask.CompletedTask;
    }

    private void Build()
    {
        IpCommand.Run("link", "add", Bridge, "type", "bridge");
        IpCommand.Run("addr", "add", $"{BridgeAddress}/24", "dev", Bridge);
        IpCommand.Run("link", "set", Bridge, "up");
        foreach (var role in Roles)
        {
            var ns = NamespaceOf(role);
            IpCommand.Run("netns", "add", ns);
            IpCommand.Run("-n", ns, "link", "set", "lo", "up");
            IpCommand.Run("link", "add", HostVeth(role), "type", "veth", "peer", "name", "eth0", "netns", ns);
            IpCommand.Run("link", "set", HostVeth(role), "master", Bridge, "up");
            IpCommand.Run("-n", ns, "addr", "add", $"{AddressOf(role)}/24", "dev", "eth0");
            IpCommand.Run("-n", ns, "link", "set", "eth0", "up");
        }
        _log($"[netns] {Roles.Count} namespaces on {Address(0)}/24: " +
             string.Join(", ", Roles.Select(r => $"{r}={AddressOf(r)} ({NamespaceOf(r)})")));
    }

    private void Teardown()
    {
        // Best effort: the namespaces go with their last process, the veths with their namespaces.
        foreach (var role in Roles)
            IpCommand.TryRun("netns", "del", NamespaceOf(role));
        IpCommand.TryRun("link", "del", Bridge);
    }

    private void Blackhole(Role from, Role to)
    {
        // `replace` keeps a repeated cut idempotent.
        IpCommand.Run("-n", NamespaceOf(from), "route", "replace", "blackhole", $"{AddressOf(to)}/32");
        _cuts.Add((from, to));
    }

    private string Bridge => $"{Prefix}{_id}b";

    private string HostVeth(Role role) => $"{Prefix}{_id}v{Index(role).ToString(CultureInfo.InvariantCulture)}";

    private int Index(Role role) =>
        _index.TryGetValue(role, out var i) ? i : throw new ArgumentException($"{role} is not one of {string.Join(", ", Roles)}.");

    private IPAddress Address(int host) => new([10, 231, (byte)_subnet, (byte)host]);

    private static int FreeSubnet()
    {
        var used = IpCommand.Run("-4", "-o", "addr", "show");
        for (var subnet = 1 + Environment.ProcessId % 200; ; subnet = subnet % 254 + 1)
            if (!used.Contains($"10.231.{subnet.ToString(CultureInfo.InvariantCulture)}.", StringComparison.Ordinal))
                return subnet;
    }

    // Names carry the creating process id: a name whose process is gone is a leftover of a killed test run.
    private static void RemoveLeftovers()
    {
        foreach (var line in IpCommand.Run("netns", "list").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ')[0];
            if (IsLeftover(name))
                IpCommand.TryRun("netns", "del", name);
        }
        foreach (var line in IpCommand.Run("-o", "link", "show", "type", "bridge").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(':', 3)[1].Trim();
            if (IsLeftover(name))
                IpCommand.TryRun("link", "del", name);
        }
    }

    private static bool IsLeftover(string name)
    {
        if (!name.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        var digits = new string(name.AsSpan(Prefix.Length).ToArray().TakeWhile(char.IsAsciiDigit).ToArray());
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            return false;
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;   // no such process
        }
    }

    private static string? ProbeOnce()
    {
        if (!OperatingSystem.IsLinux())
            return "network namespaces need Linux";
        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("USER") != "root")
            return "network namespaces need root";
        var probe = $"{Prefix}{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}probe";
        try
        {
            var (code, _, error) = IpCommand.TryRun("netns", "add", probe);
            if (code != 0)
                return $"`ip netns add` failed: {error.Trim()}";
            IpCommand.TryRun("netns", "del", probe);
            return null;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"iproute2's `ip` is not available: {e.Message}";
        }
    }
}
