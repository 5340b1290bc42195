using System.Net.Sockets;
using AkkaRepl.Replication.Protocol;
using AkkaRepl.Replication.Security;
using AkkaRepl.Replication.Tests.Support;

namespace AkkaRepl.Replication.Tests.Security;

public class LinkAuthenticationTests
{
    private const string Secret = "correct-cluster-secret-0123456789";

    [Fact(Timeout = 30_000)]
    public async Task Both_ends_with_the_same_secret_authenticate_and_the_link_carries_bytes_after()
    {
        var (client, server) = await SocketPair.ConnectAsync();
        using (client) using (server)
        {
            var accepted = LinkAuthentication.AcceptAsync(new NetworkStream(server), Secret, default);
            await LinkAuthentication.ConnectAsync(new NetworkStream(client), Secret, "upstream p", default);
            Assert.Null(await accepted);
            await client.SendAsync(new byte[] { 42 }, SocketFlags.None);
            var one = new byte[1];
            Assert.Equal(1, await server.ReceiveAsync(one, SocketFlags.None));
            Assert.Equal(42, one[0]);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_wrong_secret_is_refused_at_both_ends_with_clear_reasons()
    {
        var (client, server) = await SocketPair.ConnectAsync();
        using (client) using (server)
        {
            var accepted = LinkAuthentication.AcceptAsync(new NetworkStream(server), Secret, default);
            var error = await Assert.ThrowsAsync<ProtocolException>(() =>
                LinkAuthentication.ConnectAsync(new NetworkStream(client), "wrong-cluster-secret-0123456789", "upstream p", default));
            Assert.Equal("upstream p failed to prove the cluster secret: it is not a member, or its akkarepl.replication.cluster-secret differs",
                error.Message);
            client.Dispose(); // the connecting side gives up, as the receiver does
            Assert.Equal("it closed the link during authentication (it does not know this node's cluster secret)", await accepted);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_peer_that_sends_frames_without_authenticating_is_refused_without_an_answer()
    {
        var (client, server) = await SocketPair.ConnectAsync();
        using (client) using (server)
        {
            var accepted = LinkAuthentication.AcceptAsync(new NetworkStream(server), Secret, default);
            await client.SendAsync(new byte[64], SocketFlags.None); // a frame header, say
            Assert.Equal("it did not authenticate (is akkarepl.replication.cluster-secret set on that node?)", await accepted);
            server.Shutdown(SocketShutdown.Both);
            var buffer = new byte[256];
            Assert.Equal(0, await client.ReceiveAsync(buffer, SocketFlags.None)); // not one byte came back
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task The_secret_never_crosses_the_wire_and_each_exchange_differs()
    {
        var first = await TranscriptAsync();
        var second = await TranscriptAsync();
        var secret = System.Text.Encoding.UTF8.GetBytes(Secret);
        Assert.Equal(-1, first.AsSpan().IndexOf(secret.AsSpan(0, 8))); // not even a piece of it
        Assert.Equal(8 + 32 + 8 + 32 + 32 + 32 + 1, first.Length);
        Assert.False(first.AsSpan().SequenceEqual(second), "fresh nonces make every exchange different (no replay)");
    }

    /// <summary>Every byte both ends send during one successful exchange, captured by a relay between them.</summary>
    private static async Task<byte[]> TranscriptAsync()
    {
        var (client, relayA) = await SocketPair.ConnectAsync();
        var (relayB, server) = await SocketPair.ConnectAsync();
        using (client) using (relayA) using (relayB) using (server)
        {
            var up = new List<byte>();
            var down = new List<byte>();
            var copyUp = CopyAsync(relayA, relayB, up);
            var copyDown = CopyAsync(relayB, relayA, down);
            var accepted = LinkAuthentication.AcceptAsync(new NetworkStream(server), Secret, default);
            await LinkAuthentication.ConnectAsync(new NetworkStream(client), Secret, "upstream p", default);
            Assert.Null(await accepted);
            client.Shutdown(SocketShutdown.Send);
            server.Shutdown(SocketShutdown.Send);
            await Task.WhenAll(copyUp, copyDown);
            return [.. up, .. down];
        }
    }

    private static async Task CopyAsync(Socket from, Socket to, List<byte> seen)
    {
        var buffer = new byte[1024];
        int n;
        while ((n = await from.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            seen.AddRange(buffer.AsSpan(0, n));
            await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
        }
        to.Shutdown(SocketShutdown.Send);
    }
}
