using System.Diagnostics;
using System.Net;

namespace AkkaRepl.Testing.Network;

/// <summary>
/// Owns one <see cref="FaultProxy"/> per ordered pair of roles (the proxy that <c>from</c> dials to reach <c>to</c>)
/// and breaks and heals links between roles, like Akka's TestConductor (blackhole, pass-through, throttle).
/// </summary>
/// <remarks>
/// Bytes from X to Y travel on two proxies: X's connections to Y (direction <see cref="LinkDirection.ToTarget"/> of
/// proxy X->Y) and Y's connections to X (direction <see cref="LinkDirection.FromTarget"/> of proxy Y->X). Every
/// operation here sets both, so a cut holds whichever side opened the connection.
/// </remarks>
public sealed class NetworkConductor : INetworkFaults, IAsyncDisposable
{
    private readonly Dictionary<(Role From, Role To), FaultProxy> _links = new();
    private readonly Action<string> _log;

    /// <summary>Creates proxies between every two of <paramref name="roles"/>; targets are set later with <see cref="SetEndpoint"/>.</summary>
    /// <param name="roles">The spec's roles, each once.</param>
    /// <param name="log">Where each fault action is written (for example a test output); null to stay quiet.</param>
    public NetworkConductor(IEnumerable<Role> roles, Action<string>? log = null)
    {
        Roles = roles.ToArray();
        if (Roles.Distinct().Count() != Roles.Count)
            throw new ArgumentException($"Roles must be distinct: {string.Join(", ", Roles)}.", nameof(roles));
        _log = log ?? (_ => { });
        foreach (var from in Roles)
            foreach (var to in Roles.Where(r => r != from))
                _links[(from, to)] = FaultProxy.Start(null, $"{from}->{to}");
    }

    /// <summary>The roles between which links are proxied.</summary>
    public IReadOnlyList<Role> Roles { get; }

    /// <summary>The mode a cut applies; <see cref="LinkMode.Blackhole"/> unless changed (Drop resets instead).</summary>
    public LinkMode CutMode { get; set; } = LinkMode.Blackhole;

    /// <summary>The proxy that <paramref name="from"/> dials to reach <paramref name="to"/>.</summary>
    public FaultProxy Link(Role from, Role to) =>
        _links.TryGetValue((from, to), out var proxy)
            ? proxy
            : throw new ArgumentException($"No link {from}->{to}: roles are {string.Join(", ", Roles)}.");

    /// <summary>Where <paramref name="from"/> must connect to reach <paramref name="to"/>.</summary>
    public RemotePort RemotePort(Role from, Role to) => new(from, to, Link(from, to).Endpoint);

    /// <summary>The proxy endpoints <paramref name="from"/> uses to reach every other role.</summary>
    public IReadOnlyList<RemotePort> RemotePortsFor(Role from) =>
        Roles.Where(r => r != from).Select(to => RemotePort(from, to)).ToArray();

    /// <summary>Tells every proxy leading to <paramref name="role"/> where that role really listens (after it started or restarted).</summary>
    public void SetEndpoint(Role role, IPEndPoint endpoint)
    {
        foreach (var from in Roles.Where(r => r != role))
            Link(from, role).Target = endpoint;
    }

    /// <summary>Sets the mode of the bytes flowing from <paramref name="from"/> to <paramref name="to"/>, whoever opened the connection.</summary>
    public void SetMode(Role from, Role to, LinkMode mode)
    {
        Link(from, to).SetMode(LinkDirection.ToTarget, mode);
        Link(to, from).SetMode(LinkDirection.FromTarget, mode);
    }

    /// <summary>Cuts both directions between <paramref name="a"/> and <paramref name="b"/> with <see cref="CutMode"/>.</summary>
    public void Cut(Role a, Role b)
    {
        _log($"[network] cut {a} <-> {b} ({CutMode})");
        SetMode(a, b, CutMode);
        SetMode(b, a, CutMode);
    }

    /// <summary>Cuts only the bytes from <paramref name="from"/> to <paramref name="to"/>; the reverse keeps flowing.</summary>
    public void CutOneWay(Role from, Role to)
    {
        _log($"[network] cut {from} -> {to} ({CutMode})");
        SetMode(from, to, CutMode);
    }

    /// <summary>Cuts <paramref name="role"/> off from every other role.</summary>
    public void Isolate(Role role)
    {
        _log($"[network] isolate {role} ({CutMode})");
        foreach (var other in Roles.Where(r => r != role))
        {
            SetMode(role, other, CutMode);
            SetMode(other, role, CutMode);
        }
    }

    /// <summary>Cuts every link between a role of <paramref name="sideA"/> and a role of <paramref name="sideB"/>.</summary>
    public void Split(IEnumerable<Role> sideA, IEnumerable<Role> sideB)
    {
        var a = sideA.ToArray();
        var b = sideB.ToArray();
        if (a.Intersect(b).Any())
            throw new ArgumentException($"A role cannot be on both sides of a split: {string.Join(", ", a.Intersect(b))}.");
        _log($"[network] split [{string.Join(",", a)}] | [{string.Join(",", b)}] ({CutMode})");
        foreach (var x in a)
            foreach (var y in b)
            {
                SetMode(x, y, CutMode);
                SetMode(y, x, CutMode);
            }
    }

    /// <summary>Every link back to pass-through; held bytes are delivered in order.</summary>
    public void Heal()
    {
        _log("[network] heal");
        foreach (var proxy in _links.Values)
            proxy.Heal();
    }

    /// <summary>
    /// Cuts and heals links on a schedule drawn from <paramref name="seed"/> until <paramref name="duration"/> has
    /// passed, then heals. Returns the steps taken; the same seed gives the same sequence of actions and holds.
    /// </summary>
    public async Task<IReadOnlyList<FlapStep>> FlapAsync(int seed, TimeSpan duration, CancellationToken ct = default)
    {
        if (Roles.Count < 2)
            throw new InvalidOperationException("Flapping needs at least two roles.");
        var random = new Random(seed);
        var steps = new List<FlapStep>();
        var clock = Stopwatch.StartNew();
        _log($"[network] flap seed={seed} for {duration.TotalMilliseconds:F0}ms");
        try
        {
            while (clock.Elapsed < duration && !ct.IsCancellationRequested)
            {
                var a = Roles[random.Next(Roles.Count)];
                var b = Roles.Where(r => r != a).ElementAt(random.Next(Roles.Count - 1));
                var hold = TimeSpan.FromMilliseconds(random.Next(50, 400));
                var action = random.Next(4) switch
                {
                    0 => Do($"cut {a} <-> {b}", () => Cut(a, b)),
                    1 => Do($"cut {a} -> {b}", () => CutOneWay(a, b)),
                    2 => Do($"isolate {a}", () => Isolate(a)),
                    _ => Do("heal", Heal),
                };
                steps.Add(new FlapStep(clock.Elapsed, action, hold));
                // A schedule, not a wait for a condition: the hold is the fault's duration.
                await Task.Delay(hold, ct).ConfigureAwait(false);
                if (action != "heal")
                    Heal();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Cancelled: fall through to heal.
        }
        Heal();
        return steps;

        static string Do(string name, Action act)
        {
            act();
            return name;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in _links.Values)
            await proxy.DisposeAsync().ConfigureAwait(false);
    }
}
