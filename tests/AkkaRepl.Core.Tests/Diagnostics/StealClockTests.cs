using System.Text;
using AkkaRepl.Core.Diagnostics;

namespace AkkaRepl.Core.Tests.Diagnostics;

public sealed class StealClockTests
{
    [Fact(Timeout = 10_000)]
    public async Task Steal_is_the_eighth_number_of_the_cpu_line_in_milliseconds()
    {
        await Task.Yield();
        var stat = "cpu  2092640 482 1028905 1805880 83897 0 230993 11608 0 0\ncpu0 1046320 241 514452 902940 41948 0 115496 5804 0 0\n";
        Assert.Equal(116_080, StealClock.Parse(Encoding.ASCII.GetBytes(stat)));
        Assert.Null(StealClock.Parse(Encoding.ASCII.GetBytes("intr 12345\n")));
        Assert.Null(StealClock.Parse(Encoding.ASCII.GetBytes("cpu 1 2 3\n")));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_missing_stat_file_reads_as_unknown()
    {
        await Task.Yield();
        using var clock = new StealClock("/nonexistent/stat");
        Assert.Null(clock.Read());
        if (OperatingSystem.IsLinux() && File.Exists("/proc/stat"))
        {
            using var real = new StealClock();
            Assert.NotNull(real.Read());
        }
    }
}
