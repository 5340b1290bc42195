using System.Net;
using System.Net.Sockets;
using AkkaRepl.Core.Errors;
using AkkaRepl.Server.Cli;

namespace AkkaRepl.Server.Tests.Cli;

/// <summary>An operator verb (promote, switchover, rebuild, follow) whose node does not answer in time: one line naming
/// the node and the verb, saying it may still be under way. The CLI's POST used to end in HttpClient's
/// TaskCanceledException, which `akkarepl` printed as "unexpected failure (a bug; please report it)" with a stack
/// trace, after 5 s, shorter than a switchover may take by default (durability timeout 5 s plus the election).</summary>
public sealed class AdminClientTimeoutTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_verb_the_node_does_not_answer_in_time_is_one_clear_error_not_a_cancellation()
    {
        await Task.Yield();
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var held = new List<TcpClient>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            try { while (true) held.Add(await silent.AcceptTcpClientAsync(stop.Token)); } // accepted, never answered
            catch (OperationCanceledException) { }
        });
        try
        {
            using var admin = new AdminClient(postTimeout: TimeSpan.FromSeconds(1));
            var error = await Assert.ThrowsAsync<AkkaReplException>(() => admin.PostAsync($"127.0.0.1:{port}", "/admin/switchover?to=n2", CancellationToken.None));
            Assert.StartsWith($"node 127.0.0.1:{port} did not answer /admin/switchover?to=n2 within 1 s", error.Message);
        }
        finally
        {
            await stop.CancelAsync();
            await accepting;
            foreach (var client in held) client.Dispose();
        }
    }
}
