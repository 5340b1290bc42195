using Xunit.Abstractions;

namespace AkkaRepl.Hosting.Tests.Samples;

public sealed class ActivityFeedSampleTests(ITestOutputHelper output)
{
    [Fact(Timeout = 120_000)]
    public async Task The_activity_feed_sample_shows_each_post_to_its_author_on_a_lagging_replica()
    {
        var (exit, text) = await SampleRun.RunAsync(output, "ActivityFeed", "--replica-delay-ms", "200");
        Assert.Equal(0, exit);
        Assert.Contains("alice posted #3: generation 1", text);
        Assert.Contains("durability local", text);
        Assert.Contains("read-your-writes on the replica: alice's post #3", text);
        Assert.Matches(@"the replica applied it \d+ ms after the primary committed it \(apply-delay 200 ms\)", text);
        Assert.Matches(@"eventual reads right after posting missed [1-3] of 3 posts", text);
        Assert.Contains("alice saw each of her posts on the replica", text);
    }
}
