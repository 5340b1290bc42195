using AkkaRepl.Core.Io;
using System.Text;
using AkkaRepl.Wal.Format;

namespace AkkaRepl.Wal.Tests.Format;

public sealed class Crc32CTests
{
    [Theory(Timeout = 30_000)]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xC1D04330u)]
    [InlineData("123456789", 0xE3069283u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x22620404u)]
    public async Task Known_answers_match_the_published_values(string text, uint expected)
    {
        await Task.Yield();
        var bytes = Encoding.ASCII.GetBytes(text);
        Assert.Equal(expected, Crc32C.Compute(bytes));
        Assert.Equal(expected, ~Crc32C.UpdateSoftware(0xFFFFFFFFu, bytes));
    }

    [Fact(Timeout = 30_000)]
    public async Task Rfc3720_vectors_of_32_zero_and_32_ff_bytes_match()
    {
        await Task.Yield();
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
    }

    [Fact(Timeout = 30_000)]
    public async Task Hardware_and_software_paths_agree_on_every_length_and_alignment()
    {
        await Task.Yield();
        const int seed = 4242;
        var random = new Random(seed);
        var data = new byte[4096];
        random.NextBytes(data);
        for (int length = 0; length < 300; length++)
            for (int start = 0; start < 9; start++)
            {
                var span = data.AsSpan(start, length);
                Assert.True(Crc32C.Update(0xFFFFFFFFu, span) == Crc32C.UpdateSoftware(0xFFFFFFFFu, span),
                    $"seed {seed}: length {length}, start {start}");
            }
    }

    [Fact(Timeout = 30_000)]
    public async Task Append_continues_a_finished_checksum()
    {
        await Task.Yield();
        var bytes = Encoding.ASCII.GetBytes("123456789");
        Assert.Equal(0xE3069283u, Crc32C.Append(Crc32C.Compute(bytes.AsSpan(0, 4)), bytes.AsSpan(4)));
    }
}
