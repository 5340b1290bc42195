namespace AkkaRepl.Testing.Nodes;

/// <summary>Builds the <see cref="NodeProcessStartInfo"/> that runs <c>dotnet akkarepl.dll node ...</c>.</summary>
public static class AkkaReplNode
{
    /// <summary>Environment variable naming akkarepl.dll or the directory holding it.</summary>
    public const string BinaryVariable = "AKKAREPL_BIN";

    /// <summary>
    /// Finds akkarepl.dll: <c>AKKAREPL_BIN</c> (the file or its directory) when set, else next to the test assembly.
    /// </summary>
    /// <exception cref="FileNotFoundException">Neither place holds it.</exception>
    public static string FindBinary()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(BinaryVariable);
        string[] candidates = string.IsNullOrWhiteSpace(fromEnvironment)
            ? [Path.Combine(AppContext.BaseDirectory, "akkarepl.dll")]
            : [fromEnvironment, Path.Combine(fromEnvironment, "akkarepl.dll")];
        foreach (var candidate in candidates)
            if (File.Exists(candidate))
                return Path.GetFullPath(candidate);
        throw new FileNotFoundException(
            $"akkarepl.dll not found (looked at {string.Join(", ", candidates)}). Reference src/AkkaRepl.Server from the test project or set {BinaryVariable}.");
    }

    /// <summary>The command line for <paramref name="options"/>; writes the config file when there is config text.</summary>
    public static NodeProcessStartInfo CreateStartInfo(AkkaReplNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var binary = options.BinaryPath ?? FindBinary();
        Directory.CreateDirectory(options.DataDirectory);
        string? configPath = null;
        if (options.ConfigText is { } text)
        {
            configPath = options.ConfigPath
                ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.DataDirectory))!, "node.conf");
            File.WriteAllText(configPath, text);
        }

        return new NodeProcessStartInfo
        {
            Name = options.NodeId,
            FileName = "dotnet",
            Arguments = Arguments(options.RespPort, options.HttpPort, options.ReplPort),
            // A restart asks for the ports the node had, so peers and clients keep reaching it.
            RestartArguments = previous => Arguments(
                previous.RespPort ?? options.RespPort, previous.HttpPort ?? options.HttpPort, previous.ReplPort ?? options.ReplPort),
            ReadyTimeout = options.ReadyTimeout,
        };

        IReadOnlyList<string> Arguments(int resp, int http, int repl)
        {
            var args = new List<string> { binary, "node" };
            if (configPath is not null)
                args.AddRange(["--config", configPath]);
            args.AddRange(
            [
                "--node-id", options.NodeId,
                "--data-dir", options.DataDirectory,
                "--resp-port", resp.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--http-port", http.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--repl-port", repl.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ]);
            foreach (var setting in options.Settings)
                args.AddRange(["--set", setting]);
            args.AddRange(options.ExtraArguments);
            return args;
        }
    }
}
