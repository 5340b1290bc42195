using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace AkkaRepl.Hosting.Tests.Samples;

public sealed class BankLedgerSampleTests(ITestOutputHelper output)
{
    [Fact(Timeout = 240_000)]
    public async Task The_bank_ledger_demo_keeps_every_acknowledged_transfer_through_kill_9_of_the_primary()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var (exit, text) = await SampleRun.RunAsync(output, "BankLedger", TimeSpan.FromSeconds(200),
            "--demo", "--seed", seed.ToString(), "--transfers", "300", "--kill-after", "100");

        Assert.True(exit == 0, $"the demo failed (seed {seed}); its output is above");
        Assert.Matches(@"kill -9 primary \w \(pid \d+, generation \d+\) after \d+ acknowledged transfers", text);
        Assert.Matches(@"\w is the new primary, generation \d+ \(won election", text);
        // Fact 1: every acknowledged transfer is in the ledger of the new primary, including those acknowledged after the kill.
        var present = Regex.Match(text, @"acknowledged transfers: (\d+); present on the new primary \w: (\d+)");
        Assert.True(present.Success, $"no audit line (seed {seed})");
        Assert.Equal(present.Groups[1].Value, present.Groups[2].Value);
        Assert.True(int.Parse(present.Groups[1].Value) > 100, $"no transfer was acknowledged after the kill (seed {seed})");
        // Fact 2: the money adds up on the new primary and on both replicas (the killed node restarted among them).
        Assert.Matches(@"balances on \w sum to 10000 \(opened with 10000\)", text);
        Assert.Equal(2, Regex.Matches(text, @"replica \w.*: \d+ transfers, total 10000: same as the primary").Count);
        Assert.Contains("every acknowledged transfer survived the kill -9 and the balances still sum to 10000", text);
    }
}
