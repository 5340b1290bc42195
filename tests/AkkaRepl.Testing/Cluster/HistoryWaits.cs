using AkkaRepl.Testing.Histories;
using AkkaRepl.Testing.Waits;

namespace AkkaRepl.Testing.Cluster;

/// <summary>Waits on a running workload's history, so a spec injects its fault once load is really flowing.</summary>
public static class HistoryWaits
{
    /// <summary>Waits until <paramref name="recorder"/> holds at least <paramref name="count"/> operations that completed Ok.</summary>
    public static Task WaitForOkOperationsAsync(this HistoryRecorder recorder, int count, CancellationToken ct, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(
            () => Task.FromResult(recorder.ToHistory().Operations.Count(o => o.Outcome == Outcome.Ok)),
            n => n >= count, timeout ?? TimeSpan.FromSeconds(20), $"{count} Ok operations in the history", ct);

    /// <summary>Ok writes (SET, or CAS that returned true) in <paramref name="history"/>: the acknowledged ones.</summary>
    public static int AcknowledgedWrites(this History history) =>
        history.Operations.Count(o => o.Outcome == Outcome.Ok && (o.Type == OperationType.Write || (o.Type == OperationType.Cas && o.Result == "true")));
}
