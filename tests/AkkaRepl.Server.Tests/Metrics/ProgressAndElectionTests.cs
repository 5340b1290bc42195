using System.Diagnostics.Metrics;
using AkkaRepl.Core.Diagnostics;
using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Server.Cli;
using AkkaRepl.Server.Metrics;
using AkkaRepl.Server.Node;

namespace AkkaRepl.Server.Tests.Metrics;

/// <summary>Progress and election figures that have no node behind them: the words and lines operators read.</summary>
public sealed class ProgressAndElectionTests
{
    [Fact(Timeout = 10_000)]
    public async Task A_change_to_candidate_counts_an_election_with_its_reason_as_a_fixed_word()
    {
        await Task.Yield();
        using var meter = new AkkaReplMeter("n1");
        using var metrics = new NodeMetrics(meter, () => throw new InvalidOperationException("not scraped here"), () => null, () => null, () => null);
        var seen = new List<(long Value, string Reason)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter == meter.Meter && instrument.Name == "akkarepl.elections") l.EnableMeasurementEvents(instrument); };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => seen.Add((value, (string)tags.ToArray().Single(t => t.Key == "reason").Value!)));
        listener.Start();

        var at = DateTimeOffset.UnixEpoch;
        metrics.OnRoleChanged(new RoleChange(at, new NodeId("n1"), NodeRole.Candidate, new Generation(2), null, "primary unreachable; pre-vote won, asking for votes in generation 2"));
        metrics.OnRoleChanged(new RoleChange(at, new NodeId("n1"), NodeRole.Candidate, new Generation(3), null, "switchover from n2: asking for votes in generation 3"));
        metrics.OnRoleChanged(new RoleChange(at, new NodeId("n1"), NodeRole.Primary, new Generation(3), "n1", "won the election"));

        Assert.Equal([(1L, "primary-silent"), (1L, "switchover")], seen);
    }

    [Fact(Timeout = 10_000)]
    public async Task The_bench_progress_line_gives_percent_rate_and_an_estimate()
    {
        await Task.Yield();
        Assert.Equal("bench resp: 4,000/10,000 requests (40.0%), 2,000 requests/s, about 3 s left", BenchCommand.ProgressLine(4000, 10000, "requests", 2000));
        Assert.Equal("bench resp: 0/30 seconds (0.0%), 0 seconds/s", BenchCommand.ProgressLine(0, 30, "seconds", 0));
    }

    [Fact(Timeout = 10_000)]
    public async Task The_status_table_shows_catch_up_and_rebuild_percent_in_the_link_column()
    {
        await Task.Yield();
        var catchingUp = new ReplicaStatus("r1", "catching-up", 0, 0, 0, 0, 0, 0, 0, null, 42.5);
        Assert.Equal("catching-up 42.5%", StatusCommand.LinkText(catchingUp, null));
        var rebuilding = new UpstreamStatus("p", "rebuilding", 0, 0, 0, null, 12, 0, 0);
        Assert.Equal("rebuilding 12.0%", StatusCommand.LinkText(null, rebuilding));
        Assert.Equal("streaming", StatusCommand.LinkText(catchingUp with { State = "streaming", CatchUpPercent = null }, null));
    }
}
