using System.Diagnostics;
using AkkaRepl.Testing.Histories;

namespace AkkaRepl.Testing.Checkers;

/// <summary>
/// Wing-Gong linearizability search (with Lowe's memoization, as in WGL/Porcupine) for one register: a depth-first
/// search over configurations (set of operations linearized so far as a bitset, register state), each visited once.
/// </summary>
/// <remarks>
/// An operation may be linearized next only if it was invoked no later than the earliest completion among required
/// operations not yet linearized (otherwise that one finished before it started). Required operations must all be
/// linearized; optional ones (Unknown outcome, or outsiders of a window) may be linearized (= took effect) or left out
/// (= did not), and their completion is +infinity.
/// </remarks>
internal static class RegisterSearch
{
    internal readonly record struct SearchOp(Operation Op, bool Required, long InvokedAt, long CompletedAt);

    internal enum Answer
    {
        Linearizable,
        NotLinearizable,
        OutOfBudget,
    }

    public static (Answer Answer, long States) Run(IReadOnlyList<SearchOp> ops, RegisterState initial, long maxStates, Stopwatch clock, TimeSpan deadline)
    {
        var n = ops.Count;
        var words = (n + 63) / 64;
        var required = ops.Count(o => o.Required);
        var visited = new HashSet<Config>();
        var stack = new Stack<Config>();
        var start = new Config(new ulong[words], initial, 0);
        visited.Add(start);
        stack.Push(start);
        long states = 0;
        var candidates = new List<Config>();
        while (stack.Count > 0)
        {
            var config = stack.Pop();
            if (config.RequiredDone == required)
                return (Answer.Linearizable, states);
            if (++states > maxStates || ((states & 1023) == 0 && clock.Elapsed > deadline))
                return (Answer.OutOfBudget, states);

            var minCompletion = long.MaxValue;
            for (var i = 0; i < n; i++)
                if (ops[i].Required && !config.Has(i) && ops[i].CompletedAt < minCompletion)
                    minCompletion = ops[i].CompletedAt;

            candidates.Clear();
            for (var i = 0; i < n && ops[i].InvokedAt <= minCompletion; i++)
            {
                if (config.Has(i))
                    continue;
                if (config.State.Apply(ops[i].Op) is not { } next)
                    continue;
                var child = config.With(i, next, ops[i].Required);
                if (visited.Add(child))
                    candidates.Add(child);
            }
            // Explore the earliest-invoked candidate first: pushed last.
            for (var c = candidates.Count - 1; c >= 0; c--)
                stack.Push(candidates[c]);
        }
        return (Answer.NotLinearizable, states);
    }

    private sealed class Config(ulong[] bits, RegisterState state, int requiredDone) : IEquatable<Config>
    {
        private readonly int _hash = Hash(bits, state);

        public RegisterState State { get; } = state;

        public int RequiredDone { get; } = requiredDone;

        public bool Has(int i) => (bits[i >> 6] & (1UL << (i & 63))) != 0;

        public Config With(int i, RegisterState next, bool required)
        {
            var copy = (ulong[])bits.Clone();
            copy[i >> 6] |= 1UL << (i & 63);
            return new Config(copy, next, RequiredDone + (required ? 1 : 0));
        }

        public bool Equals(Config? other) =>
            other is not null && _hash == other._hash && State == other.State && bits.AsSpan().SequenceEqual(other.Bits);

        public override bool Equals(object? obj) => Equals(obj as Config);

        public override int GetHashCode() => _hash;

        private ulong[] Bits => bits;

        private static int Hash(ulong[] bits, RegisterState state)
        {
            var hash = new HashCode();
            foreach (var word in bits)
                hash.Add(word);
            hash.Add(state);
            return hash.ToHashCode();
        }
    }
}
