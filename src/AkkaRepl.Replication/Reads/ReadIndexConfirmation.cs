using AkkaRepl.Core.Ids;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Replication.Primary;

namespace AkkaRepl.Replication.Reads;

/// <summary>
/// Confirms leadership by a read-index round: the primary sends a numbered ReadIndex frame to every replica
/// over the existing replication links and waits until a majority of the voting members (itself included)
/// answered it in its generation.
/// <para>Why it is safe: a replica answers only while the highest generation it has seen is the primary's (it
/// fences lower ones, and a higher one ends the link instead of answering). A majority answering after the call
/// began means no other node could have been made primary by a majority before that moment, so every write
/// acknowledged before the read began is in this primary's log.</para>
/// <para>Callers that arrive while a round is in flight wait for the next round (a round that began before them
/// proves nothing about the time after they arrived); all callers waiting at its start share one round, so
/// many concurrent reads cost one frame per replica per round trip, not per read.</para>
/// </summary>
public sealed class ReadIndexConfirmation(Coordinator coordinator, TimeSpan timeout) : ILeadershipConfirmation
{
    private readonly object _gate = new();
    private TaskCompletionSource<bool>? _nextRound; // callers waiting for a round not yet started; guarded by _gate
    private bool _running;                          // a round loop is running; guarded by _gate
    private ulong _sequence;                        // written by the round loop only

    /// <summary>Rounds completed, for tests and status.</summary>
    public long Rounds => Interlocked.Read(ref _rounds);
    private long _rounds;

    public Task<bool> ConfirmLeadershipAsync(CancellationToken ct)
    {
        Task<bool> round;
        lock (_gate)
        {
            _nextRound ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            round = _nextRound.Task;
            if (!_running)
            {
                _running = true;
                _ = Task.Run(RunRoundsAsync);
            }
        }
        return ct.CanBeCanceled ? round.WaitAsync(ct) : round;
    }

    private async Task RunRoundsAsync()
    {
        while (true)
        {
            TaskCompletionSource<bool>? waiting;
            lock (_gate)
            {
                waiting = _nextRound;
                _nextRound = null;
                if (waiting is null)
                {
                    _running = false;
                    return;
                }
            }
            bool confirmed;
            try { confirmed = await RoundAsync().ConfigureAwait(false); }
            catch (Exception) { confirmed = false; }
            Interlocked.Increment(ref _rounds);
            waiting.TrySetResult(confirmed);
        }
    }

    private async Task<bool> RoundAsync()
    {
        if (coordinator.WritingGeneration is not { } generation) return false;
        // Voters only, as elections and quorum count them: a non-voting replica's answer says nothing about whether a
        // majority of voters elected another primary, so it must not confirm (nor be needed).
        var self = coordinator.Self.Value;
        var voting = coordinator.Members.Where(m => m.Voting && m.Id != self).Select(m => m.Id).ToHashSet();
        var selfVotes = coordinator.Members.FirstOrDefault(m => m.Id == self)?.Voting ?? true;
        var majority = Math.Max(1, voting.Count + (selfVotes ? 1 : 0)) / 2 + 1;
        var needed = majority - (selfVotes ? 1 : 0); // the primary counts itself when it votes
        if (needed <= 0) return coordinator.WritingGeneration == generation;
        var sessions = (coordinator.Server?.Sessions ?? [])
            .Where(s => s.Generation == generation && s.State != ReplicaLinkState.Disconnected && voting.Contains(s.Replica.Value))
            .GroupBy(s => s.Replica).Select(g => g.Last()).ToList();
        if (sessions.Count < needed) return false;
        var sequence = ++_sequence;
        using var expiry = new CancellationTokenSource(timeout);
        var answers = sessions.Select(s => s.ConfirmAsync(sequence, expiry.Token)).ToList();
        var confirmed = 0;
        while (answers.Count > 0 && confirmed < needed)
        {
            var done = await Task.WhenAny(answers).ConfigureAwait(false);
            answers.Remove(done);
            if (done.IsCompletedSuccessfully) confirmed++;
        }
        await expiry.CancelAsync().ConfigureAwait(false); // stop waiting for the rest
        return confirmed >= needed && coordinator.WritingGeneration == generation;
    }
}
