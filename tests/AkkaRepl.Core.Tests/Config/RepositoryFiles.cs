namespace AkkaRepl.Core.Tests.Config;

/// <summary>Finds files of the repository (hocon/, docs/) from the test's output directory.</summary>
internal static class RepositoryFiles
{
    public static string Find(string relativePath)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relativePath);
            if (File.Exists(candidate))
                return candidate;
        }
        throw new FileNotFoundException($"{relativePath} not found above {AppContext.BaseDirectory}");
    }
}
