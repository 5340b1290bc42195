using AkkaRepl.Testing.Nodes;

namespace AkkaRepl.Testing.Tests.Nodes;

public sealed class AkkaReplNodeTests
{
    [Fact(Timeout = 30_000)]
    public async Task The_command_line_follows_the_node_contract_and_a_restart_pins_the_ports()
    {
        var root = Directory.CreateTempSubdirectory("akkarepl-node-args").FullName;
        try
        {
            var info = AkkaReplNode.CreateStartInfo(new AkkaReplNodeOptions
            {
                NodeId = "a",
                DataDirectory = Path.Combine(root, "a", "data"),
                ConfigText = "akkarepl.node.id = a\n",
                Settings = ["akkarepl.wal.fsync=false"],
                ExtraArguments = ["--verbose"],
                BinaryPath = "/opt/akkarepl/akkarepl.dll",
            });

            var configPath = Path.Combine(root, "a", "node.conf");
            Assert.Equal("dotnet", info.FileName);
            Assert.Equal(
                ["/opt/akkarepl/akkarepl.dll", "node", "--config", configPath, "--node-id", "a", "--data-dir", Path.Combine(root, "a", "data"),
                 "--resp-port", "0", "--http-port", "0", "--repl-port", "0", "--set", "akkarepl.wal.fsync=false", "--verbose"],
                info.Arguments);
            Assert.Equal("akkarepl.node.id = a\n", await File.ReadAllTextAsync(configPath));
            Assert.True(Directory.Exists(Path.Combine(root, "a", "data")));

            var restart = info.RestartArguments!(new NodeEndpoints("READY", "a", 6001, 6002, 6003));
            Assert.Equal(["6001", "6002", "6003"], new[] { "--resp-port", "--http-port", "--repl-port" }
                .Select(flag => restart[restart.ToList().IndexOf(flag) + 1]));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_missing_binary_is_reported_with_where_it_was_looked_for()
    {
        var previous = Environment.GetEnvironmentVariable(AkkaReplNode.BinaryVariable);
        Environment.SetEnvironmentVariable(AkkaReplNode.BinaryVariable, "/nonexistent/akkarepl");
        try
        {
            var error = Assert.Throws<FileNotFoundException>(AkkaReplNode.FindBinary);
            Assert.Contains("/nonexistent/akkarepl", error.Message);
            Assert.Contains(AkkaReplNode.BinaryVariable, error.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(AkkaReplNode.BinaryVariable, previous);
        }
        await Task.CompletedTask;
    }
}
