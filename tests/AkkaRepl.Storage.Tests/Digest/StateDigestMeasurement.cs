using System.Diagnostics;
using AkkaRepl.Storage.Digest;
using AkkaRepl.Storage.Tests.Kv;
using Xunit.Abstractions;

namespace AkkaRepl.Storage.Tests.Digest;

/// <summary>How long a digest takes for a large store (AKKAREPL_BENCH=1 runs 1 M keys; CI runs a small smoke size).</summary>
public sealed class StateDigestMeasurement(ITestOutputHelper output)
{
    [Fact(Timeout = 300_000)]
    public async Task Digest_time_for_many_keys()
    {
        await Task.Yield();
        var keys = Environment.GetEnvironmentVariable("AKKAREPL_BENCH") == "1" ? 1_000_000 : 10_000;
        var harness = new KvHarness();
        for (var batch = 0; batch < keys; batch += 1000)
            harness.Write(["MSET", .. Enumerable.Range(batch, 1000).SelectMany(i => new[] { $"key:{i}", $"value-{i}-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" })]);
        var capture = Stopwatch.StartNew();
        var image = harness.Store.CaptureImage();
        var captured = capture.Elapsed;
        var compute = Stopwatch.StartNew();
        var digest = StateDigest.Compute(image);
        var computed = compute.Elapsed;
        var children = Stopwatch.StartNew();
        var ranges = digest.Children("");
        output.WriteLine($"{keys:N0} keys: capture on the apply loop {captured.TotalMilliseconds:F2} ms, digest {computed.TotalMilliseconds:F0} ms (off the loop), 16 child ranges {children.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(keys, digest.KeyCount);
        Assert.Equal(keys, ranges.Sum(r => r.Keys));
    }
}
