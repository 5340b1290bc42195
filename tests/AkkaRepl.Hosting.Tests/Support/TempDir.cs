namespace AkkaRepl.Hosting.Tests.Support;

/// <summary>A directory under the temp folder, deleted when the test is done.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "akkarepl-hosting-" + Guid.NewGuid().ToString("N")[..12]);

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true); }
        catch (IOException) { /* best effort */ }
    }
}
