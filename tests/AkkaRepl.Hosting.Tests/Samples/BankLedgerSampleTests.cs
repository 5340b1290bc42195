using Xunit.Abstractions;

namespace AkkaRepl.Hosting.Tests.Samples;

public sealed class BankLedgerSampleTests(ITestOutputHelper output)
{
    [Fact(Timeout = 180_000)]
    public async Task The_bank_ledger_sample_keeps_every_acknowledged_transfer_after_the_primary_stops()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var (exit, text) = await SampleRun.RunAsync(output, "BankLedger", "--seed", seed.ToString(), "--stop-primary-after", "60");
        Assert.Equal(0, exit);
        Assert.Contains("stopping primary a after", text);
        Assert.Contains("total on the new primary: 10000", text);
        Assert.Contains("every acknowledged transfer survived and the money adds up", text);
    }
}
