using System.Collections.Concurrent;
using System.Diagnostics;

/// <summary>
/// The demo: three node processes, transfers at quorum from four clients, kill -9 of the primary mid-run, the
/// survivors elect a new primary by themselves, the clients carry on there, and at the end every acknowledged
/// transfer must be in the ledger and the balances must still sum to the opening total. Exit code 0 when both hold.
/// </summary>
internal static class Demo
{
    private const int Accounts = 10, Opening = 1_000, Workers = 4, Total = Accounts * Opening;
    private static readonly string[] Ids = ["a", "b", "c"];
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(string dir, int seed, int transfers, int killAfter)
    {
        Directory.CreateDirectory(dir);
        Console.WriteLine($"seed {seed}; data and node logs in {dir}");
        var board = new RoleBoard();
        var nodes = new ConcurrentDictionary<string, LedgerProcess>();
        try
        {
            var members = await StartClusterAsync(dir, board, nodes);
            var first = await board.WaitForPrimaryAsync(1, Patience);
            Console.WriteLine($"three processes: {string.Join(", ", Ids.Select(id => $"{id} (pid {nodes[id].Pid}, replication port {members.Single(m => m.Id == id).ReplicationPort})"))}; automatic failover on");
            Console.WriteLine($"primary {first.Id}, generation {first.Generation}: {first.Reason}");
            for (var i = 0; i < Accounts; i++)
                for (var attempt = 1; ; attempt++) // opening again sets the same balance: safe to retry before any transfer
                {
                    var answer = await nodes[(await board.WaitForPrimaryAsync(1, Patience)).Id].SendAsync("open", $"acct{i}", Opening);
                    if (answer[0] == "ok") break;
                    if (attempt == 10) throw new InvalidOperationException($"open acct{i}: {string.Join(' ', answer)}");
                    await Task.Delay(200);
                }
            Console.WriteLine($"opened {Accounts} accounts with {Opening} each: total {Total}");

            // The clients: each takes the next planned transfer and sends it to whoever is primary now. A transfer whose
            // answer was lost (the node died, or was no longer primary) is sent again: transfer ids make that safe.
            var random = new Random(seed);
            var plans = Enumerable.Range(0, transfers).Select(n => new Transfer($"t{n}", $"acct{random.Next(Accounts)}", $"acct{random.Next(Accounts)}", random.Next(1, 200))).ToArray();
            var acknowledged = new ConcurrentDictionary<string, ulong>(); // transfer id -> end LSN of its receipt
            var refused = 0;
            var resent = new ConcurrentDictionary<string, byte>();
            var unknown = new ConcurrentBag<string>();
            var enoughToKill = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var clock = Stopwatch.StartNew();
            TimeSpan? killedAt = null, resumedAt = null;
            ulong minGeneration = 0;      // clients send to a primary of at least this generation
            ulong? victimGeneration = null;
            var next = -1;
            var clients = Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
            {
                while (Interlocked.Increment(ref next) is var n && n < plans.Length)
                {
                    var t = plans[n];
                    for (var attempt = 1; ; attempt++)
                    {
                        var primary = await board.WaitForPrimaryAsync(minGeneration, Patience);
                        var changed = board.Changed;
                        var answer = await nodes[primary.Id].SendAsync("transfer", t.Id, t.From, t.To, t.Amount);
                        if (answer[0] == "ok")
                        {
                            acknowledged[t.Id] = ulong.Parse(answer[3]);
                            if (victimGeneration is { } killed && resumedAt is null && ulong.Parse(answer[2]) > killed) resumedAt = clock.Elapsed;
                            if (acknowledged.Count >= killAfter) enoughToKill.TrySetResult();
                            break;
                        }
                        if (answer[0] == "refused") { Interlocked.Increment(ref refused); break; }
                        if (attempt == 30) { unknown.Add(t.Id); break; } // never acknowledged: not counted
                        resent[t.Id] = 0;
                        await Task.WhenAny(changed, Task.Delay(200)); // a new primary, or try the same one again shortly
                    }
                }
            })).ToArray();

            await enoughToKill.Task.WaitAsync(Patience);
            var victim = board.Primary() ?? throw new InvalidOperationException("no primary to kill");
            var killedProcess = nodes[victim.Id];
            Console.WriteLine($"kill -9 primary {victim.Id} (pid {killedProcess.Pid}, generation {victim.Generation}) after {acknowledged.Count} acknowledged transfers");
            killedAt = clock.Elapsed;
            victimGeneration = victim.Generation;
            await killedProcess.KillAsync();
            board.MarkDead(victim.Id);
            minGeneration = victim.Generation + 1; // clients wait for a primary elected after the kill

            var elected = await board.WaitForPrimaryAsync(minGeneration, Patience);
            Console.WriteLine($"{elected.Id} is the new primary, generation {elected.Generation} ({elected.Reason}), {Ms(clock.Elapsed - killedAt.Value)} ms after the kill");
            await Task.WhenAll(clients).WaitAsync(TimeSpan.FromMinutes(3));
            Console.WriteLine($"transfers resumed {Ms((resumedAt ?? clock.Elapsed) - killedAt.Value)} ms after the kill; {resent.Count} sent again after a lost answer, {refused} refused (not enough money), {unknown.Count} never acknowledged");

            // The audit: a linearizable read on the primary (it confirms with a majority that it still leads).
            var primaryNow = await board.WaitForPrimaryAsync(minGeneration, Patience);
            var audit = await AuditAsync(nodes[primaryNow.Id], "linearizable");
            var missing = acknowledged.Keys.Where(id => !audit.Ids.Contains(id)).ToList();
            Console.WriteLine($"acknowledged transfers: {acknowledged.Count}; present on the new primary {primaryNow.Id}: {acknowledged.Count - missing.Count}");
            if (missing.Count > 0) Console.WriteLine($"MISSING: {string.Join(' ', missing.Take(20))}");
            Console.WriteLine($"balances on {primaryNow.Id} sum to {audit.Total} (opened with {Total})");

            // The killed node comes back on its data directory: it recovers its log, hears the new primary and follows it.
            nodes[victim.Id] = LedgerProcess.Start(victim.Id, dir, members, board.Report);
            await nodes[victim.Id].Ready.WaitAsync(Patience);
            await board.WaitForRoleAsync(victim.Id, "replica", primaryNow.Generation, Patience);
            var copies = new List<bool>();
            foreach (var id in Ids.Where(id => id != primaryNow.Id))
            {
                var copy = await AuditAsync(nodes[id], audit.AppliedLsn.ToString(System.Globalization.CultureInfo.InvariantCulture));
                var same = copy.Total == audit.Total && copy.Ids.SetEquals(audit.Ids);
                copies.Add(same);
                Console.WriteLine($"replica {id}{(id == victim.Id ? " (restarted after kill -9)" : "")}: {copy.Ids.Count} transfers, total {copy.Total}: {(same ? "same as the primary" : "DIFFERENT")}");
            }

            var ok = missing.Count == 0 && audit.Total == Total && copies.All(c => c) && resumedAt is not null;
            Console.WriteLine(ok
                ? $"every acknowledged transfer survived the kill -9 and the balances still sum to {Total}"
                : "LOST MONEY OR TRANSFERS");
            return ok ? 0 : 1;
        }
        finally
        {
            foreach (var node in nodes.Values) await node.DisposeAsync();
        }
    }

    /// <summary>Starts the three nodes on freshly reserved ports; picks again if one did not start (a port taken meanwhile).</summary>
    private static async Task<IReadOnlyList<MemberPorts>> StartClusterAsync(string dir, RoleBoard board, ConcurrentDictionary<string, LedgerProcess> nodes)
    {
        for (var attempt = 1; ; attempt++)
        {
            var members = FreePorts.Reserve(Ids);
            try
            {
                // The configured primary first: replicas that start while it is still recovering its log could stop
                // waiting for it and hold an election of their own at start-up (seen on a loaded 2-core machine).
                nodes[Ids[0]] = LedgerProcess.Start(Ids[0], dir, members, board.Report);
                await nodes[Ids[0]].Ready.WaitAsync(Patience);
                await board.WaitForPrimaryAsync(1, Patience);
                foreach (var id in Ids.Skip(1)) nodes[id] = LedgerProcess.Start(id, dir, members, board.Report);
                await Task.WhenAll(nodes.Values.Select(n => n.Ready)).WaitAsync(Patience);
                return members;
            }
            catch (Exception ex) when (attempt < 3)
            {
                Console.WriteLine($"a node did not start ({ex.Message}); trying other ports");
                foreach (var node in nodes.Values) await node.DisposeAsync();
                nodes.Clear();
            }
        }
    }

    private static async Task<(long Total, ulong AppliedLsn, HashSet<string> Ids)> AuditAsync(LedgerProcess node, string consistency)
    {
        for (var attempt = 1; ; attempt++)
        {
            var answer = await node.SendAsync("audit", consistency);
            if (answer is ["audit", _, var total, var applied, var ids])
                return (long.Parse(total), ulong.Parse(applied), ids.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet());
            if (attempt == 10) throw new InvalidOperationException($"audit on {node.Id} failed: {string.Join(' ', answer)}");
            Console.WriteLine($"audit on {node.Id} not served yet ({string.Join(' ', answer[2..])}); again");
            await Task.Delay(500);
        }
    }

    private static long Ms(TimeSpan t) => (long)t.TotalMilliseconds;
}
