using AkkaRepl.Core.Options;

namespace AkkaRepl.Server.Tests.Node;

/// <summary>A node whose replication peers a test plays by hand (a fake primary or replica on a socket of its own).</summary>
internal static class HandDrivenNode
{
    public static AkkaReplOptions Options(string id, string dir, IReadOnlyList<MemberOptions> members, string initialPrimary) => new()
    {
        Node = new NodeOptions { NodeId = id, DataDir = dir, RespPort = 0, HttpPort = 0, ReplicationPort = 0 },
        Cluster = new ClusterOptions { Members = members, InitialPrimary = initialPrimary },
        Replication = new ReplicationOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(50) },
        // Static roles: these tests drive links by hand (fake peers), and elections would move the primary.
        Election = new ElectionOptions { Enabled = false },
    };
}
