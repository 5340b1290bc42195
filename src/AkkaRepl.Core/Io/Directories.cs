using AkkaRepl.Core.Errors;

namespace AkkaRepl.Core.Io;

/// <summary>Directory creation for commands that name the path themselves: a path that cannot be created (its parent
/// is a file or does not allow it, no permission) becomes one clear message, not an I/O exception and a stack trace.</summary>
public static class Directories
{
    /// <summary>Creates <paramref name="path"/> and its parents if missing; <paramref name="purpose"/> completes
    /// "cannot create '{path}' {purpose}", e.g. "for the backup".</summary>
    public static void Create(string path, string purpose)
    {
        try { Directory.CreateDirectory(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AkkaReplException($"cannot create '{path}' {purpose}: {e.Message}", e);
        }
    }
}
