using System.Text.Json;
using AkkaRepl.Hosting.StateMachines;

/// <summary>Ledger commands, logged and applied on every node.</summary>
public abstract record LedgerCommand;
public sealed record Open(string Account, long Balance) : LedgerCommand;
/// <summary>Moves money between accounts. <see cref="Id"/> makes it idempotent: a client that lost the answer (its
/// node was killed) can send it again to the new primary, and it is applied at most once.</summary>
public sealed record Transfer(string Id, string From, string To, long Amount) : LedgerCommand;

/// <summary>Balances, and the ids of applied transfers (so a retry is not applied twice, and the demo can check that
/// none was lost).</summary>
public sealed class Ledger : IReplicatedStateMachine<LedgerCommand>
{
    private Dictionary<string, long> _balances = new();
    private HashSet<string> _transfers = new();

    public object? Apply(LedgerCommand command, ApplyContext context)
    {
        switch (command)
        {
            case Open open:
                return _balances[open.Account] = open.Balance;
            case Transfer t when _transfers.Contains(t.Id):
                return _balances.GetValueOrDefault(t.From); // a retry of an applied transfer: nothing moves again
            case Transfer t when _balances.GetValueOrDefault(t.From) < t.Amount:
                throw new CommandRejectedException($"{t.From} holds {_balances.GetValueOrDefault(t.From)}, less than {t.Amount}");
            case Transfer t:
                _balances[t.From] -= t.Amount;
                _balances[t.To] = _balances.GetValueOrDefault(t.To) + t.Amount;
                _transfers.Add(t.Id);
                return _balances[t.From];
            default:
                throw new CommandRejectedException($"unknown command {command}");
        }
    }

    public long Total() => _balances.Values.Sum();
    public IReadOnlyCollection<string> TransferIds() => _transfers.ToList();

    public void WriteSnapshot(Stream destination) => JsonSerializer.Serialize(destination, new Image(_balances, _transfers));

    public void ReadSnapshot(Stream source)
    {
        var image = JsonSerializer.Deserialize<Image>(source)!;
        (_balances, _transfers) = (image.Balances, image.Transfers);
    }

    private sealed record Image(Dictionary<string, long> Balances, HashSet<string> Transfers);
}
