using AkkaRepl.Storage.Kv;
using AkkaRepl.Storage.StateMachine;

namespace AkkaRepl.Server.Node;

/// <summary>
/// What an embedding application adds to a node beyond its configuration (the standalone <c>akkarepl</c> program
/// uses the defaults).
/// </summary>
public sealed record NodeStartOptions
{
    /// <summary>The defaults: the log is applied to the built-in key-value store alone.</summary>
    public static readonly NodeStartOptions Default = new();

    /// <summary>
    /// Builds the state machine the log is applied to, around a fresh key-value store (the one RESP serves). Called
    /// at start and whenever the state is rebuilt (after a divergent suffix was cut, or from an upstream's snapshot),
    /// so it must return a new, empty state machine each time. It must apply key-value payloads to the store it is
    /// given. Null applies the log to the key-value store alone.
    /// </summary>
    public Func<KvStore, IStateMachine>? StateMachineFactory { get; init; }

    /// <summary>
    /// Called with the HTTP admin port as soon as it listens, which is before WAL recovery (so a long start-up can be
    /// watched on <c>/status</c>). <c>akkarepl node</c> prints <c>RECOVERING node=ID http=PORT</c> from it. Null: nothing.
    /// </summary>
    public Action<int>? HttpListening { get; init; }

    /// <summary>
    /// Test only: WAL recovery pauses this long after each segment it scanned (one pause at a time, so recovery takes
    /// at least segments x pause), so a test can watch start-up progress on a log that would otherwise recover too fast
    /// to see. Null (the default): no pause. <c>akkarepl node</c> reads it from the environment variable
    /// <c>AKKAREPL_TEST_ONLY_RECOVERY_PAUSE_PER_SEGMENT_MS</c> and logs a warning when it is set.
    /// </summary>
    public TimeSpan? TestOnlyRecoveryPausePerSegment { get; init; }

    /// <summary>
    /// Test only, in-process: called on the recovery worker after each WAL segment it scanned (after the pause above).
    /// A test may block in it to hold recovery at a known point while it watches start-up progress, then let it go:
    /// the checks then do not race the scan. Null (the default): nothing.
    /// </summary>
    public Action? TestOnlyAfterSegmentScanned { get; init; }
}
