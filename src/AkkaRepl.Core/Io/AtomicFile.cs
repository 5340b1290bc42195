namespace AkkaRepl.Core.Io;

/// <summary>
/// Replaces a small file as a whole: written to "PATH.tmp", then renamed over PATH, so a reader sees the old content
/// or the new, never a mix. Durable (the default): the data is synced before the rename and the directory after it,
/// so after a power cut PATH holds the old content or the new, never an empty or torn file.
/// </summary>
public static class AtomicFile
{
    public static void Replace(string path, Action<FileStream> write, bool durable = true)
    {
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            write(file);
            if (durable) file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        if (durable) DirectorySync.Sync(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }
}
