using System.Text.Json;
using AkkaRepl.Hosting.StateMachines;
using AkkaRepl.Replication.Cluster;

namespace AkkaRepl.Hosting.Tests.StateMachines;

/// <summary>Commands of the test machine: named totals.</summary>
public abstract record TallyCommand;
public sealed record AddToTally(string Name, int Amount) : TallyCommand;
public sealed record ClearTally(string Name) : TallyCommand;

/// <summary>A small deterministic state machine: totals by name, and when each last changed (from the log).</summary>
public sealed class Tally : IReplicatedStateMachine<TallyCommand>
{
    public SortedDictionary<string, long> Totals { get; private set; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, DateTimeOffset> ChangedAt { get; private set; } = new(StringComparer.Ordinal);
    /// <summary>Role notifications (not replicated state).</summary>
    public List<NodeRole> Roles { get; } = [];

    public object? Apply(TallyCommand command, ApplyContext context)
    {
        switch (command)
        {
            case AddToTally add:
                if (add.Amount <= 0) throw new CommandRejectedException($"amount must be positive, not {add.Amount}");
                Totals[add.Name] = Totals.GetValueOrDefault(add.Name) + add.Amount;
                ChangedAt[add.Name] = context.CommitTimestamp;
                return Totals[add.Name];
            case ClearTally clear:
                Totals.Remove(clear.Name);
                ChangedAt[clear.Name] = context.CommitTimestamp;
                return 0L;
            default:
                throw new CommandRejectedException($"unknown command {command.GetType().Name}");
        }
    }

    public void WriteSnapshot(Stream destination) => JsonSerializer.Serialize(destination, new Image(Totals, ChangedAt));

    public void ReadSnapshot(Stream source)
    {
        var image = JsonSerializer.Deserialize<Image>(source)!;
        Totals = new SortedDictionary<string, long>(image.Totals, StringComparer.Ordinal);
        ChangedAt = new SortedDictionary<string, DateTimeOffset>(image.ChangedAt, StringComparer.Ordinal);
    }

    public void OnRoleChanged(NodeRole role)
    {
        lock (Roles) Roles.Add(role);
    }

    /// <summary>The whole state as text, to compare nodes.</summary>
    public string Describe() => JsonSerializer.Serialize(new Image(Totals, ChangedAt));

    private sealed record Image(SortedDictionary<string, long> Totals, SortedDictionary<string, DateTimeOffset> ChangedAt);
}
