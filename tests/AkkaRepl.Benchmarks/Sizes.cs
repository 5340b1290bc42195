namespace AkkaRepl.Benchmarks;

/// <summary>A byte count as a benchmark parameter: the result table shows "100 B", "4 KiB".</summary>
public readonly record struct Bytes(int Value)
{
    public override string ToString() =>
        Value >= 1024 && Value % 1024 == 0 ? $"{Value / 1024} KiB" : $"{Value} B";
}
