using AkkaRepl.Core.Config;
using AkkaRepl.Core.Options;
using AkkaRepl.Hosting.StateMachines;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Server.Node;
using AkkaRepl.Server.Reads;
using AkkaRepl.Storage.StateMachine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace AkkaRepl.Hosting.Node;

/// <summary>
/// The node that runs in this process: bound from configuration and started by <see cref="EmbeddedNodeService"/>,
/// shared by the typed APIs. Role changes are passed on to the application's state machine and to subscribers.
/// </summary>
internal sealed partial class EmbeddedNode(IConfiguration configuration, StateMachineRegistrations machines, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("AkkaRepl.Hosting");
    private readonly TaskCompletionSource<NodeHost> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile NodeHost? _node;
    private volatile NodeReadGate? _reads; // one per running node: concurrent linearizable reads share read-index rounds
    private volatile bool _stopped;
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Cancelled when the node starts to stop: waits of writes and reads end with it.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>True when a wait under <paramref name="ct"/> was ended by the node stopping, not by its caller: the
    /// applier and the log end their waits with OperationCanceledException (or the log reader's "writer stopped").</summary>
    public bool StoppedUnder(Exception error, CancellationToken ct) =>
        error is OperationCanceledException or InvalidOperationException or ObjectDisposedException
        && _stopping.IsCancellationRequested && !ct.IsCancellationRequested;

    /// <summary>What a wait ended by the node stopping throws.</summary>
    public static NodeNotRunningException StoppedWhileWaiting() =>
        new("the AkkaRepl node stopped (the host is shutting down) while this call waited");

    /// <summary>Awaits <paramref name="wait"/>, a wait of a call under <paramref name="ct"/>; ended by the node stopping
    /// (<see cref="StoppedUnder"/>), it throws <see cref="StoppedWhileWaiting"/> instead.</summary>
    public async Task UntilStoppedAsync(Task wait, CancellationToken ct)
    {
        try { await wait.ConfigureAwait(false); }
        catch (Exception e) when (StoppedUnder(e, ct)) { throw StoppedWhileWaiting(); }
    }

    /// <summary>The bound options (null until the host started the node).</summary>
    public AkkaReplOptions? Options { get; private set; }

    /// <summary>Raised after every role change of this node (on the coordinator's thread).</summary>
    public event Action<RoleChange>? RoleChanged;

    /// <summary>The running node.</summary>
    /// <exception cref="NodeNotRunningException">Not started yet, or stopped.</exception>
    public NodeHost Running => _node ?? throw new NodeNotRunningException(_stopped
        ? "the AkkaRepl node has stopped (the host is shutting down)"
        : "the AkkaRepl node has not started yet: the host starts it (await IReplicatedStore.WhenReadyAsync to wait)");

    /// <summary>The running node's read gate (bounded staleness and leadership checks, shared with RESP's code).</summary>
    /// <exception cref="NodeNotRunningException">Not started yet, or stopped.</exception>
    public NodeReadGate Reads => _node is not null && _reads is { } reads ? reads : throw new NodeNotRunningException("the AkkaRepl node is not running");

    /// <summary>Completes when the node runs; faults when it failed to start.</summary>
    public Task<NodeHost> Started => _started.Task;

    public async Task StartAsync(CancellationToken ct)
    {
        try
        {
            Options = AkkaReplOptionsBinder.Bind(configuration);
            var start = new NodeStartOptions { StateMachineFactory = machines.Machine is { } m ? kv => Compose(kv, m) : null };
            var node = await NodeHost.StartAsync(Options, loggers, start, ct).ConfigureAwait(false);
            node.Coordinator.RoleChanged += OnRoleChanged;
            _reads = new NodeReadGate(node);
            _node = node;
            CurrentApp()?.NotifyRole(node.Coordinator.Role);
            _started.TrySetResult(node);
        }
        catch (Exception ex)
        {
            LogStartFailed(_logger, ex.Message);
            _started.TrySetException(ex);
            throw;
        }
    }

    public async Task StopAsync()
    {
        _stopped = true;
        var node = _node;
        _node = null;
        if (node is null) return;
        node.Coordinator.RoleChanged -= OnRoleChanged;
        // Writes still waiting for replicas would wait forever once replication closes: end their waits now.
        await _stopping.CancelAsync().ConfigureAwait(false);
        await node.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The application machine the log is applied to now (it is replaced when state is rebuilt).</summary>
    public IApplicationState? CurrentApp() => (_node?.Applier.State as CompositeStateMachine)?.App;

    private static IStateMachine Compose(Storage.Kv.KvStore kv, StateMachineRegistration machine) =>
        new CompositeStateMachine(kv, machine.Create(), machine.Name);

    private void OnRoleChanged(RoleChange change)
    {
        try { CurrentApp()?.NotifyRole(change.Role); }
        catch (Exception ex) { LogHandlerFailed(_logger, "state machine OnRoleChanged", ex.Message); }
        try { RoleChanged?.Invoke(change); }
        catch (Exception ex) { LogHandlerFailed(_logger, "role-change subscriber", ex.Message); }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The AkkaRepl node did not start: {Error}")]
    private static partial void LogStartFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "A {Handler} threw (ignored; the node carries on): {Error}")]
    private static partial void LogHandlerFailed(ILogger logger, string handler, string error);
}
