using System.Net;
using System.Net.Sockets;
using System.Text;
using AkkaRepl.Testing.Waits;

namespace AkkaRepl.Testing.Tests.Waits;

public sealed class StatusClientTests
{
    [Fact(Timeout = 30_000)]
    public async Task Status_is_fetched_over_HTTP_and_parsed()
    {
        const string body = """{"nodeId":"a","role":"primary","generation":3,"writtenLsn":"1200","flushedLsn":1100,"appliedLsn":1000,"extra":{"x":1}}""";
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serve = ServeOnceAsync(listener, body);
        using var client = new StatusClient(port);

        var status = await client.GetAsync();

        Assert.Equal(("a", "primary", 3L, 1200L, 1100L, 1000L),
            (status.NodeId, status.Role, status.Generation, status.WrittenLsn, status.FlushedLsn, status.AppliedLsn));
        Assert.Equal(1, status.Raw.GetProperty("extra").GetProperty("x").GetInt32());
        Assert.StartsWith("GET /status HTTP/1.1", await serve);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_missing_field_is_named_in_the_error()
    {
        var error = Assert.Throws<FormatException>(() => StatusClient.Parse("""{"nodeId":"a","role":"replica"}"""));

        Assert.Contains("\"generation\"", error.Message);
        Assert.Contains("replica", error.Message);
        await Task.CompletedTask;
    }

    private static async Task<string> ServeOnceAsync(TcpListener listener, string body)
    {
        using var socket = await listener.AcceptSocketAsync();
        var request = new StringBuilder();
        var buffer = new byte[4096];
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None);
            if (read == 0)
                break;
            request.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        var payload = Encoding.UTF8.GetBytes(body);
        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n");
        await socket.SendAsync(head.Concat(payload).ToArray(), SocketFlags.None);
        socket.Shutdown(SocketShutdown.Send);
        return request.ToString();
    }
}
