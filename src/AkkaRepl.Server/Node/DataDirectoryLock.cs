using AkkaRepl.Core.Errors;

namespace AkkaRepl.Server.Node;

/// <summary>
/// Holds an exclusive lock file in the data directory for the node's lifetime, so two processes can never
/// write one WAL. On Linux .NET takes an advisory flock for FileShare.None, which the kernel drops when the
/// process dies, so a kill -9 leaves no stale lock behind.
/// </summary>
internal sealed class DataDirectoryLock : IDisposable
{
    private readonly FileStream _file;

    private DataDirectoryLock(FileStream file) => _file = file;

    public static DataDirectoryLock Acquire(string dataDir)
    {
        var path = Path.Combine(dataDir, "LOCK");
        try
        {
            Directory.CreateDirectory(dataDir);
            var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            file.SetLength(0);
            var pid = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId + "\n");
            file.Write(pid);
            file.Flush();
            return new DataDirectoryLock(file);
        }
        catch (IOException ex) when (File.Exists(path))
        {
            throw new AkkaReplException($"data directory '{Path.GetFullPath(dataDir)}' is in use by another akkarepl process (lock file {path}): {ex.Message}");
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            // Not a directory (a file by that name), a parent that cannot hold one, no permission.
            throw new AkkaReplException($"cannot use data directory '{Path.GetFullPath(dataDir)}': {ex.Message}");
        }
    }

    public void Dispose() => _file.Dispose();
}
