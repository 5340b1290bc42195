using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Node;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Server.Verify;

/// <summary>
/// A node's side of verification: runs one on request (<c>POST /admin/verify</c>) across the configured members,
/// keeps the last result for <c>/status</c>, and, when <c>akkarepl.verify.periodic</c> is on, runs one every
/// interval while this node is the primary.
/// </summary>
internal sealed partial class VerifyService(NodeHost node, AkkaReplOptions options, ILogger logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _one = new(1, 1); // one verification at a time per node
    private Task _loop = Task.CompletedTask;
    private VerifyStatus _status = new(options.Verify.Periodic, 0, null, null, null, [], 0, null); // replaced whole; read anywhere

    public VerifyStatus Status => Volatile.Read(ref _status);

    public void Start()
    {
        if (options.Verify.Periodic) _loop = Task.Run(PeriodicAsync);
    }

    /// <summary>The members to verify, each by its HTTP admin address (this node by its own bound port).</summary>
    public IReadOnlyList<VerifyTarget> Targets()
    {
        var self = options.Node.BindAddress is "0.0.0.0" or "::" ? "127.0.0.1" : options.Node.BindAddress;
        var selfTarget = new VerifyTarget(node.NodeId.Value, Cli.NodeHttp.HostPort(self, node.HttpPort));
        if (node.Members.Count == 0) return [selfTarget];
        return node.Members.Select(m => m.Id == node.NodeId.Value ? selfTarget : new VerifyTarget(m.Id, Cli.NodeHttp.HostPort(m.Host, m.HttpPort))).ToList();
    }

    public async Task<VerifyReport> RunAsync(CancellationToken ct)
    {
        await _one.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            using var client = new DigestClient(options.Verify.DigestTimeout, options.Security.AdminToken);
            var runs = Status.Runs + 1;
            try
            {
                var report = await new Verifier(client, options.Verify.LeafKeys).RunAsync(Targets(), ct).ConfigureAwait(false);
                var different = report.Nodes.Where(n => n.Result != "equal").Select(n => n.NodeId).ToList();
                Volatile.Write(ref _status, new VerifyStatus(options.Verify.Periodic, runs, report.At, report.Lsn,
                    report.AllEqual ? "equal" : "different", different, report.Nodes.Sum(n => n.Differences.Count), null));
                if (!report.AllEqual) LogDifferent(logger, report.Lsn, string.Join(", ", different));
                return report;
            }
            catch (AkkaReplException ex)
            {
                Volatile.Write(ref _status, new VerifyStatus(options.Verify.Periodic, runs, DateTimeOffset.UtcNow, null, "failed", [], 0, ex.Message));
                throw;
            }
        }
        finally { _one.Release(); }
    }

    private async Task PeriodicAsync()
    {
        using var timer = new PeriodicTimer(options.Verify.Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (!node.AcceptsWrites) continue; // the primary verifies; replicas only answer
                try { await RunAsync(_stop.Token).ConfigureAwait(false); }
                catch (Exception ex) when (ex is not OperationCanceledException) { LogFailed(logger, ex.Message); }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Verification at LSN {Lsn}: the state of {Nodes} differs from the primary's (see /status or run akkarepl verify)")]
    private static partial void LogDifferent(ILogger logger, ulong lsn, string nodes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Periodic verification could not run: {Error}")]
    private static partial void LogFailed(ILogger logger, string error);
}
