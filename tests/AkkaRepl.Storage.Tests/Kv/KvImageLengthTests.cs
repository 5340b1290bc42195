using Xunit.Abstractions;

namespace AkkaRepl.Storage.Tests.Kv;

/// <summary>A replica rebuild announces an image's length before the image is written (it is streamed as it is
/// written): the announced length must be exactly what is written, tombstones and empty values included.</summary>
public sealed class KvImageLengthTests(ITestOutputHelper output)
{
    [Fact(Timeout = 30_000)]
    public async Task The_announced_length_of_an_image_is_the_number_of_bytes_it_writes()
    {
        await Task.Yield();
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var kv = new KvHarness();
        Assert.Equal(KvDeterminismTests.Image(kv.Store).Length, kv.Store.CaptureImage().Length);
        for (var i = 0; i < 2_000; i++)
        {
            var key = "k" + random.Next(300);
            if (random.Next(5) == 0) kv.Write("DEL", key);
            else kv.Write("SET", key, new string('v', random.Next(0, 3_000)));
            if (i % 250 == 0)
            {
                var image = kv.Store.CaptureImage();
                Assert.Equal(KvDeterminismTests.Image(kv.Store).Length, image.Length);
            }
        }
    }
}
