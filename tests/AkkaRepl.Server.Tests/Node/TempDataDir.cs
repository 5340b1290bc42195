namespace AkkaRepl.Server.Tests.Node;

/// <summary>A data directory under the temp folder, deleted when the test is done.</summary>
internal sealed class TempDataDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "akkarepl-test-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try { if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true); }
        catch (IOException) { /* best effort */ }
    }
}
