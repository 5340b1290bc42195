using BenchmarkDotNet.Running;

namespace AkkaRepl.Benchmarks;

/// <summary>Runs the micro-benchmarks chosen on the command line (--filter '*' for all).</summary>
public static class BenchmarkProgram
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
}
