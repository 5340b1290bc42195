using System.Net;
using System.Net.Sockets;

namespace AkkaRepl.Testing.Tests.Network;

internal static class SocketTestExtensions
{
    public static async Task<Socket> ConnectAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint);
        return socket;
    }

    public static async Task SendAllAsync(this Socket socket, byte[] bytes)
    {
        var sent = 0;
        while (sent < bytes.Length)
            sent += await socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None);
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes or throws if the stream ends first.</summary>
    public static async Task<byte[]> ReceiveExactlyAsync(this Socket socket, int count, CancellationToken ct = default)
    {
        var buffer = new byte[count];
        var got = 0;
        while (got < count)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, ct);
            if (read == 0)
                throw new EndOfStreamException($"Stream ended after {got} of {count} bytes.");
            got += read;
        }
        return buffer;
    }

    /// <summary>True when connecting fails, or the connection is closed or reset right after it opened.</summary>
    public static async Task<bool> IsRefusedOrClosedAsync(IPEndPoint endpoint)
    {
        Socket socket;
        try
        {
            socket = await ConnectAsync(endpoint);
        }
        catch (SocketException)
        {
            return true;
        }
        using (socket)
            return await socket.IsClosedByPeerAsync();
    }

    /// <summary>True when the peer closed or reset the connection (a read returns 0 or fails).</summary>
    public static async Task<bool> IsClosedByPeerAsync(this Socket socket, CancellationToken ct = default)
    {
        try
        {
            var read = await socket.ReceiveAsync(new byte[1], SocketFlags.None, ct);
            return read == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }
}
