using AkkaRepl.Wal;

namespace AkkaRepl.Replication.Apply;

/// <summary>Told on the applier loop after each record was applied; must be quick (capture, not write).</summary>
public interface IApplyObserver
{
    void OnApplied(in WalRecord record);
}
