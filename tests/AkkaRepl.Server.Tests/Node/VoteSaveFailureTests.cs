using AkkaRepl.Core.Options;
using AkkaRepl.Replication.Cluster;
using AkkaRepl.Server.Node;
using Xunit.Abstractions;

namespace AkkaRepl.Server.Tests.Node;

/// <summary>What a node does when the vote it must save before it acts cannot be saved (a disk error).</summary>
public sealed class VoteSaveFailureTests(ITestOutputHelper output)
{
    /// <summary>The vote is saved before any message is sent, so a restarted voter cannot vote twice in one generation.
    /// When the save fails, the election state in memory is ahead of the disk: going on (the error only logged) would
    /// let it grant a repeated request from memory and, after a restart, vote again for another. The node stops with
    /// a clear error instead (supervision: never silently continue), and never becomes primary on that vote.</summary>
    [Fact(Timeout = 30_000)]
    public async Task A_vote_that_cannot_be_saved_stops_the_node_with_a_clear_error()
    {
        await Task.Yield();
        using var dir = new TempDataDir();
        var logs = new CapturingLoggerFactory();
        // r1 is the only voter: once the primary x (never reachable) is given up, it votes for itself at once.
        var options = HandDrivenNode.Options("r1", dir.Path,
        [
            new MemberOptions { Id = "x", ReplicationPort = 1, HttpPort = 1, Voting = false },
            new MemberOptions { Id = "r1" },
        ], "x") with { Election = new ElectionOptions { Enabled = true } };
        // The disk error: the vote's temporary file cannot be created (a directory is in its place).
        Directory.CreateDirectory(Path.Combine(dir.Path, "vote.json.tmp"));
        await using var node = await NodeHost.StartAsync(options, logs, default);
        try
        {
            Assert.True(node.Coordinator.ElectionsEnabled);
            await Wait.Until(() => node.Failure.IsFaulted, "the node to stop on the failed vote save", 15_000);
            var message = node.Failure.Exception!.InnerException!.Message;
            output.WriteLine(message);
            Assert.Contains("vote", message);
            Assert.Contains(dir.Path, message);
            Assert.NotEqual(NodeRole.Primary, node.Coordinator.Role);
            Assert.False(node.AcceptsWrites);
        }
        catch
        {
            output.WriteLine(logs.Dump());
            throw;
        }
    }
}
