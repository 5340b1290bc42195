using AkkaRepl.Server.Cli;

namespace AkkaRepl.Server.Tests.Cli;

public sealed class ProgressDisplayTests
{
    [Fact(Timeout = 5_000)]
    public async Task A_log_line_gives_percent_rate_and_an_estimate_measured_from_the_first_reading()
    {
        await Task.Yield();
        var line = ProgressDisplay.Describe("rebuild r1", new ProgressDisplay.Reading(40, "rebuilding", false),
            first: (10, TimeSpan.FromSeconds(1)), now: TimeSpan.FromSeconds(11));
        // 30 points in 10 s = 3 %/s; 60 points left = 20 s.
        Assert.Equal("rebuild r1: rebuilding, 40.0% at 3.0%/s, about 20 s left", line);
    }

    [Fact(Timeout = 5_000)]
    public async Task Without_a_percent_or_progress_the_line_says_only_what_is_known()
    {
        await Task.Yield();
        Assert.Equal("rebuild r1: connecting", ProgressDisplay.Describe("rebuild r1", new ProgressDisplay.Reading(null, "connecting", false), null, TimeSpan.FromSeconds(3)));
        Assert.Equal("rebuild r1: rebuilding, 5.0%",
            ProgressDisplay.Describe("rebuild r1", new ProgressDisplay.Reading(5, "rebuilding", false), (5, TimeSpan.Zero), TimeSpan.FromSeconds(3)));
    }
}
