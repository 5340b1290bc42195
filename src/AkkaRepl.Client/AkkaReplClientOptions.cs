using AkkaRepl.Client.Reads;
using AkkaRepl.Client.Topology;

namespace AkkaRepl.Client;

/// <summary>Settings of an <see cref="AkkaReplClient"/>. <see cref="Validate"/> names every bad value at once.</summary>
public sealed record AkkaReplClientOptions
{
    /// <summary>Any subset of the cluster's nodes as <c>host:port</c> (RESP ports); the rest is discovered.</summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];

    /// <summary>Longest a call may take, retries and the search for a new primary included.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the topology is probed in the background (failures trigger a probe at once).</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest one probe of one node may take before the node counts as unreachable.</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Pipelined connections kept per node.</summary>
    public int ConnectionsPerNode { get; init; } = 2;

    /// <summary>Where reads go when the call does not say.</summary>
    public ReadPreference ReadPreference { get; init; } = ReadPreference.Primary;

    /// <summary>How fresh reads must be when the call does not say (sessions use read-your-writes by themselves).</summary>
    public ReadConsistency Consistency { get; init; } = ReadConsistency.Eventual;

    /// <exception cref="ArgumentException">Every problem, one per line.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (Seeds.Count == 0) problems.Add("Seeds is empty: give at least one node address as host:port");
        foreach (var seed in Seeds)
        {
            try { NodeEndpoint.Parse(seed); }
            catch (ArgumentException e) { problems.Add("Seeds: " + e.Message.Split(" (Parameter")[0]); }
        }
        if (OperationTimeout <= TimeSpan.Zero) problems.Add($"OperationTimeout = {OperationTimeout} must be positive");
        if (RefreshInterval <= TimeSpan.Zero) problems.Add($"RefreshInterval = {RefreshInterval} must be positive");
        if (ProbeTimeout <= TimeSpan.Zero) problems.Add($"ProbeTimeout = {ProbeTimeout} must be positive");
        if (ConnectionsPerNode is < 1 or > 64) problems.Add($"ConnectionsPerNode = {ConnectionsPerNode} must be 1..64");
        if (!Enum.IsDefined(ReadPreference)) problems.Add($"ReadPreference = {(int)ReadPreference} is not a read preference");
        if (problems.Count > 0) throw new ArgumentException("invalid AkkaReplClientOptions:\n" + string.Join("\n", problems));
    }
}
