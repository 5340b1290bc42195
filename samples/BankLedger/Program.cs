// BankLedger: a ledger replicated by AkkaRepl across three processes, each hosting one node with AddAkkaRepl. Run
// without --node, this process is the demo (Demo.cs): it starts the three nodes (this same program with --node),
// runs transfers at quorum, kills the primary with kill -9 mid-run, lets the survivors elect a new primary, carries
// on, and checks that every acknowledged transfer survived and the balances still sum to the opening total.
// Usage: BankLedger [--demo] [--dir DIR] [--seed N] [--transfers N] [--kill-after N]
//        BankLedger --node ID --dir DIR --members a:REPL:HTTP,b:REPL:HTTP,c:REPL:HTTP    (what the demo starts)
if (Arg("--node") is { } node)
    return await LedgerNode.RunAsync(node, Arg("--dir") ?? throw new ArgumentException("--node needs --dir"),
        (Arg("--members") ?? throw new ArgumentException("--node needs --members")).Split(',').Select(MemberPorts.Parse).ToList());

var dir = Arg("--dir") ?? Path.Combine(Path.GetTempPath(), "bankledger-" + Guid.NewGuid().ToString("N")[..8]);
var seed = int.Parse(Arg("--seed") ?? Environment.TickCount.ToString());
return await Demo.RunAsync(dir, seed, int.Parse(Arg("--transfers") ?? "400"), int.Parse(Arg("--kill-after") ?? "150"));

string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
