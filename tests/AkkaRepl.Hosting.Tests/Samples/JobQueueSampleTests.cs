using Xunit.Abstractions;

namespace AkkaRepl.Hosting.Tests.Samples;

public sealed class JobQueueSampleTests(ITestOutputHelper output)
{
    [Fact(Timeout = 120_000)]
    public async Task The_job_queue_sample_replicates_its_queue_and_refuses_a_foreign_completion()
    {
        var (exit, text) = await SampleRun.RunAsync(output, "JobQueue");
        Assert.Equal(0, exit);
        Assert.Contains("enqueued job 3 'send newsletter' (generation 1", text);
        Assert.Contains("worker-2 cannot complete it: job 1 is not held by worker-2", text);
        Assert.Contains("replica's queue: 2 'resize photo 2'; 3 'send newsletter'", text);
        Assert.Contains("replica and primary hold the same queue", text);
    }
}
