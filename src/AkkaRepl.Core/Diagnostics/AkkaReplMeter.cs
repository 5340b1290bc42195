using System.Diagnostics.Metrics;

namespace AkkaRepl.Core.Diagnostics;

/// <summary>
/// The <see cref="System.Diagnostics.Metrics.Meter"/> named <c>AkkaRepl</c> of one node, tagged with the node's id,
/// so OpenTelemetry (AddMeter("AkkaRepl")) and the node's own <c>/metrics</c> exporter pick up its instruments. One
/// per node, not a static one: several nodes in one process (tests, embedding) keep their figures apart.
/// It lives in Core so that every part (the coordinator's elections included) can record into it.
/// </summary>
public sealed class AkkaReplMeter : IDisposable
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string Name = "AkkaRepl";

    private readonly Counter<long> _elections;

    public AkkaReplMeter(string nodeId)
    {
        NodeId = nodeId;
        Meter = new Meter(new MeterOptions(Name)
        {
            Version = typeof(AkkaReplMeter).Assembly.GetName().Version?.ToString(),
            Tags = [new KeyValuePair<string, object?>("akkarepl.node.id", nodeId)],
        });
        _elections = Meter.CreateCounter<long>("akkarepl.elections", "{election}",
            "Elections this node started as a candidate, by reason (switchover or primary-silent).");
    }

    public string NodeId { get; }

    public Meter Meter { get; }

    /// <summary>Counts an election this node started as a candidate; <paramref name="reason"/> is a short, fixed
    /// word (for example <c>primary-silent</c>, <c>lease-lost</c>, <c>switchover</c>), never free text, so the
    /// number of series stays small.</summary>
    public void ElectionStarted(string reason) =>
        _elections.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Dispose() => Meter.Dispose();
}
