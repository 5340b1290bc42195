using AkkaRepl.Core.Diagnostics;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Server.Metrics;

namespace AkkaRepl.Server.Node;

/// <summary>The node's metrics: its <see cref="AkkaReplMeter"/>, the instruments on it, and the Prometheus exporter
/// behind <c>GET /metrics</c>. Kept apart from the composition root so it stays short.</summary>
public sealed partial class NodeHost
{
    private NodeMetrics? _metrics;
    private PrometheusExporter? _exporter;

    /// <summary>This node's meter (named <c>AkkaRepl</c>), for parts that record into it (elections).</summary>
    public AkkaReplMeter? Meter => _metrics?.Meter;

    internal NodeMetrics? Metrics => _metrics;

    /// <summary>Logs when writes start and stop being answered below their durability level.</summary>
    internal DurabilityAlerts? DurabilityAlerts { get; private set; }

    /// <summary>Every instrument of this node as Prometheus text.</summary>
    internal string ScrapeMetrics() => _exporter?.Scrape() ?? "";

    /// <summary>Called before recovery, so /metrics answers while the node starts (recovery progress); the WAL's
    /// figures join once it is open (<see cref="AttachWalMetrics"/>).</summary>
    private void StartMetrics()
    {
        var meter = new AkkaReplMeter(NodeId.Value);
        _metrics = new NodeMetrics(meter, GetStatus, () => _wal?.Stats, () => _resp, () => _store);
        _exporter = new PrometheusExporter(meter.Meter);
        DurabilityAlerts = new DurabilityAlerts(_loggers.CreateLogger("AkkaRepl.Durability"));
    }

    /// <summary>Called once the WAL is open: the instruments time its group commits.</summary>
    private void AttachWalMetrics() => _wal!.Observer = _metrics;

    private void OnRoleChangedForMetrics(RoleChange change) => _metrics?.OnRoleChanged(change);

    private void StopMetrics()
    {
        if (_wal is not null) _wal.Observer = null;
        _exporter?.Dispose();
        _metrics?.Dispose();
    }
}
