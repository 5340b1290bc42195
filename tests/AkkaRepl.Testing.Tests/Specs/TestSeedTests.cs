using AkkaRepl.Testing.Specs;
using AkkaRepl.Testing.Tests.Nodes;

namespace AkkaRepl.Testing.Tests.Specs;

public sealed class TestSeedTests
{
    [Fact(Timeout = 30_000)]
    public async Task A_pinned_seed_is_used_and_printed_with_how_to_rerun_it()
    {
        if (Environment.GetEnvironmentVariable(TestSeed.Variable) is not null)
            return; // a forced seed overrides pinned ones by design

        var output = new CapturingOutput();

        Assert.Equal(77, TestSeed.Pick(output, 77));
        Assert.Equal("seed=77 (pinned; rerun with AKKAREPL_SEED=77)", output.Text);
        await Task.CompletedTask;
    }

    [Fact(Timeout = 30_000)]
    public async Task Soak_mode_chooses_the_long_setting_only_when_switched_on()
    {
        Assert.Equal(Soak.Enabled ? 10_000 : 100, Soak.Choose(100, 10_000));
        await Task.CompletedTask;
    }
}
