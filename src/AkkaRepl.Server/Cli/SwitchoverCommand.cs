using System.CommandLine;
using AkkaRepl.Core.Errors;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// <c>akkarepl switchover --node HOST:PORT --to ID</c>: finds the primary from any member's status and asks it to
/// hand over to <c>ID</c> (POST /admin/switchover): it stops accepting writes, waits until ID holds its whole log,
/// and ID wins a new generation. No write is lost at any durability.
/// </summary>
internal static class SwitchoverCommand
{
    public static Command Create()
    {
        var node = new Option<string>("--node") { Description = "HTTP address (HOST:PORT, or https://HOST:PORT) of any member.", Required = true };
        var to = new Option<string>("--to") { Description = "Id of the member to make primary.", Required = true };
        var command = new Command("switchover", "Hand the primary role to another member with no write lost.");
        command.Options.Add(node);
        command.Options.Add(to);
        var token = AdminTokenOption.Create();
        command.Options.Add(token);
        var tls = NodeHttp.Options.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var (address, nodes) = tls.Get(parse, parse.GetValue(node)!);
                using var admin = new AdminClient(parse.GetValue(token), nodes);
                var members = await admin.ClusterAsync(address, ct).ConfigureAwait(false);
                var primary = members.FirstOrDefault(m => m.Status?.Role == "primary")
                    is { Status: not null } found ? found.Member : throw new AkkaReplException("no member reports itself primary right now; try again in a moment");
                var target = parse.GetValue(to)!;
                await admin.PostAsync(NodeHttp.HostPort(primary.Host, primary.HttpPort), $"/admin/switchover?to={Uri.EscapeDataString(target)}", ct).ConfigureAwait(false);
                Console.Out.WriteLine($"{target} is now the primary (was {primary.Id}).");
                return CliErrors.Ok;
            }
            catch (Exception ex)
            {
                return CliErrors.Report(ex);
            }
        });
        return command;
    }
}
