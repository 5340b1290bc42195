using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// The network's physical limit on this machine: one TCP connection over loopback (Nagle off), a 64-byte message
/// sent and echoed back, one at a time. Every replicated write pays at least one of these round trips on top of
/// the disk's sync, so benchmark reports put it next to their latencies.
/// </summary>
internal static class BenchLoopback
{
    private const int MessageBytes = 64;

    /// <param name="Latency">Each round trip, microseconds.</param>
    public sealed record Result(long RoundTrips, TimeSpan Elapsed, BenchHistogram Latency)
    {
        public double PerSecond => RoundTrips / Elapsed.TotalSeconds;
    }

    public static async Task<Result> MeasureAsync(TimeSpan duration, CancellationToken ct)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var accept = listener.AcceptSocketAsync(ct).AsTask();
        await client.ConnectAsync(IPAddress.Loopback, port, ct).ConfigureAwait(false);
        using var server = await accept.ConfigureAwait(false);
        server.NoDelay = true;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var echo = EchoAsync(server, stop.Token);

        var message = new byte[MessageBytes];
        var reply = new byte[MessageBytes];
        var latency = new BenchHistogram();
        long trips = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            while (clock.Elapsed < duration && !ct.IsCancellationRequested)
            {
                long start = Stopwatch.GetTimestamp();
                await client.SendAsync(message, SocketFlags.None, ct).ConfigureAwait(false);
                await ReceiveExactlyAsync(client, reply, ct).ConfigureAwait(false);
                latency.Record((long)Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                trips++;
            }
        }
        finally
        {
            clock.Stop();
            await stop.CancelAsync().ConfigureAwait(false);
            client.Shutdown(SocketShutdown.Both);
            try { await echo.ConfigureAwait(false); } catch (OperationCanceledException) { /* stopped */ } catch (SocketException) { /* closed */ }
        }
        return new Result(trips, clock.Elapsed, latency);
    }

    private static async Task EchoAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[MessageBytes];
        while (!ct.IsCancellationRequested)
        {
            if (!await ReceiveExactlyAsync(socket, buffer, ct).ConfigureAwait(false)) return;
            await socket.SendAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
        }
    }

    private static async Task<bool> ReceiveExactlyAsync(Socket socket, byte[] buffer, CancellationToken ct)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0) return false;
            read += n;
        }
        return true;
    }
}
