using AkkaRepl.Core.Config;

namespace AkkaRepl.Core.Tests.Config;

public sealed class HoconUnitsTests
{
    [Theory(Timeout = 10_000)]
    [InlineData("200 ms", 200 * TimeSpan.TicksPerMillisecond)]
    [InlineData("200ms", 200 * TimeSpan.TicksPerMillisecond)]
    [InlineData("250", 250 * TimeSpan.TicksPerMillisecond)]
    [InlineData("5 s", 5 * TimeSpan.TicksPerSecond)]
    [InlineData("1.5 seconds", 15 * TimeSpan.TicksPerSecond / 10)]
    [InlineData("1 minute", TimeSpan.TicksPerMinute)]
    [InlineData("3 m", 3 * TimeSpan.TicksPerMinute)]
    [InlineData("2h", 2 * TimeSpan.TicksPerHour)]
    [InlineData("1 day", TimeSpan.TicksPerDay)]
    [InlineData("10 us", 100)]
    [InlineData("10 micros", 100)]
    [InlineData("500 ns", 5)]
    [InlineData("2 millis", 2 * TimeSpan.TicksPerMillisecond)]
    public async Task Durations_read_hocon_units(string text, long ticks)
    {
        await Task.Yield();
        Assert.True(HoconUnits.TryParseDuration(text, out var value));
        Assert.Equal(TimeSpan.FromTicks(ticks), value);
    }

    [Theory(Timeout = 10_000)]
    [InlineData("5 S")]
    [InlineData("5 sec")]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("5 s x")]
    public async Task Durations_reject_unknown_units_and_uppercase(string text)
    {
        await Task.Yield();
        Assert.False(HoconUnits.TryParseDuration(text, out _));
    }

    [Theory(Timeout = 10_000)]
    [InlineData("64 MiB", 64L * 1024 * 1024)]
    [InlineData("512k", 512L * 1024)]
    [InlineData("1K", 1024)]
    [InlineData("2 Ki", 2048)]
    [InlineData("1.5 KiB", 1536)]
    [InlineData("1 GiB", 1024L * 1024 * 1024)]
    [InlineData("1g", 1024L * 1024 * 1024)]
    [InlineData("100 bytes", 100)]
    [InlineData("1 b", 1)]
    [InlineData("42", 42)]
    [InlineData("1 kB", 1000)]
    [InlineData("10 MB", 10_000_000)]
    [InlineData("2 megabytes", 2_000_000)]
    [InlineData("3 mebibytes", 3L * 1024 * 1024)]
    [InlineData("1 TB", 1_000_000_000_000)]
    [InlineData("1 EiB", 1L << 60)]
    public async Task Sizes_read_hocon_units_in_powers_of_ten_and_two(string text, long bytes)
    {
        await Task.Yield();
        Assert.True(HoconUnits.TryParseBytes(text, out var value));
        Assert.Equal(bytes, value);
    }

    [Theory(Timeout = 10_000)]
    [InlineData("1 KB")]
    [InlineData("10 mb")]
    [InlineData("1.5 B")]
    [InlineData("9 EiB")]
    [InlineData("1 YB")]
    [InlineData("lots")]
    public async Task Sizes_reject_unknown_units_fractions_of_a_byte_and_overflow(string text)
    {
        await Task.Yield();
        Assert.False(HoconUnits.TryParseBytes(text, out _));
    }

    [Fact(Timeout = 10_000)]
    public async Task Sizes_and_durations_format_with_the_largest_exact_unit()
    {
        await Task.Yield();
        Assert.Equal("64 MiB", HoconUnits.FormatBytes(64L * 1024 * 1024));
        Assert.Equal("1000 B", HoconUnits.FormatBytes(1000));
        Assert.Equal("200 ms", HoconUnits.FormatDuration(TimeSpan.FromMilliseconds(200)));
        Assert.Equal("2 h", HoconUnits.FormatDuration(TimeSpan.FromHours(2)));
    }
}
