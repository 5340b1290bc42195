using System.Net;
using System.Net.Sockets;
using AkkaRepl.Client.Errors;

namespace AkkaRepl.Client.Tests.Writes;

/// <summary>A caller's cancellation is reported as cancellation, not as a cluster condition.</summary>
public sealed class WriteCancellationTests
{
    [Fact(Timeout = 20_000)]
    public async Task A_write_cancelled_while_the_client_looks_for_a_primary_throws_operation_cancelled()
    {
        await Task.Yield();
        // A port with nobody listening: no primary is ever found, so the write waits in the search for one.
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        await using var client = await AkkaReplClient.ConnectAsync(new AkkaReplClientOptions
        {
            Seeds = [$"127.0.0.1:{port}"],
            OperationTimeout = TimeSpan.FromSeconds(15), // far beyond the cancellation
        });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var thrown = await Record.ExceptionAsync(() => client.SetAsync("k", "v", cancel.Token));

        // NoPrimaryException says "no primary within the timeout, nothing was sent, safe to retry": a caller that
        // cancelled must see its own cancellation, as reads give it.
        Assert.True(thrown is OperationCanceledException, $"expected OperationCanceledException, got {thrown?.GetType().Name}: {thrown?.Message}");
        Assert.False(thrown is NoPrimaryException);
    }
}
