using BenchmarkDotNet.Running;

namespace AkkaRepl.Benchmarks;

/// <summary>Runs the micro-benchmarks chosen on the command line (--filter '*' for all), or the write path's
/// allocation probe (--probe local|quorum [batches [warm-up batches]]).</summary>
public static class BenchmarkProgram
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--probe")
        {
            AllocationProbe.Run(args.Length > 1 ? args[1] : "local", args.Length > 2 ? int.Parse(args[2]) : 5000,
                args.Length > 3 ? int.Parse(args[3]) : 1000);
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
    }
}
