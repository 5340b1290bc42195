using System.CommandLine;
using AkkaRepl.Core.Errors;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// <c>akkarepl rebuild --node HOST:PORT</c>: makes a replica drop its state and rebuild from a snapshot of its
/// upstream, then waits for it to stream again, showing progress.
/// </summary>
internal static class RebuildCommand
{
    public static Command Create()
    {
        var node = new Option<string>("--node") { Description = "HTTP address (HOST:PORT, or https://HOST:PORT) of the replica to rebuild.", Required = true };
        var timeout = new Option<int>("--timeout-seconds") { Description = "How long to wait for the rebuild to finish.", DefaultValueFactory = _ => 600 };
        var command = new Command("rebuild", "Rebuild a replica from a snapshot of its upstream's state.");
        command.Options.Add(node);
        var token = AdminTokenOption.Create();
        command.Options.Add(token);
        command.Options.Add(timeout);
        var tls = NodeHttp.Options.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var (address, nodes) = tls.Get(parse, parse.GetValue(node)!);
                using var admin = new AdminClient(parse.GetValue(token), nodes);
                var before = (await admin.StatusAsync(address, ct).ConfigureAwait(false)).Upstream?.RebuildsCompleted ?? 0;
                await admin.PostAsync(address, "/admin/rebuild", ct).ConfigureAwait(false);
                Console.Out.WriteLine($"Rebuild of {address} requested; waiting for it to stream again...");
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
                limit.CancelAfter(TimeSpan.FromSeconds(parse.GetValue(timeout)));
                Node.NodeStatus? last = null;
                try
                {
                    await ProgressDisplay.RunAsync($"rebuild {address}", async token =>
                    {
                        var status = last = await admin.StatusAsync(address, token).ConfigureAwait(false);
                        var upstream = status.Upstream;
                        var done = upstream is { State: "streaming" } && upstream.RebuildsCompleted > before;
                        return new ProgressDisplay.Reading(done ? 100 : upstream?.RebuildPercent,
                            upstream?.State ?? "no upstream", done);
                    }, TimeSpan.FromMilliseconds(250), limit.Token).ConfigureAwait(false);
                    Console.Out.WriteLine($"Rebuilt: the log now starts at LSN {last!.FirstLsn:N0} (the snapshot's).");
                    return CliErrors.Ok;
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
                throw new AkkaReplException($"the rebuild of {address} did not finish within {parse.GetValue(timeout)} s");
            }
            catch (Exception ex)
            {
                return CliErrors.Report(ex);
            }
        });
        return command;
    }
}
