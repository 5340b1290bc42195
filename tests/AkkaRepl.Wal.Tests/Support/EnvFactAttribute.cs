namespace AkkaRepl.Wal.Tests.Support;

/// <summary>A fact that runs only when an environment variable is "1" (long measurements); otherwise it is
/// reported as skipped, naming the variable.</summary>
public sealed class EnvFactAttribute : FactAttribute
{
    public EnvFactAttribute(string variable)
    {
        if (Environment.GetEnvironmentVariable(variable) != "1") Skip = $"set {variable}=1 to run this measurement";
    }
}
