using System.CommandLine;
using AkkaRepl.Core.Errors;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// <c>akkarepl promote --node HOST:PORT</c>: makes that replica the primary of a new, higher generation, then tells
/// every other reachable member to follow it. Members that are down learn of the new generation when they return.
/// </summary>
internal static class PromoteCommand
{
    public static Command Create()
    {
        var node = new Option<string>("--node") { Description = "HTTP address (HOST:PORT, or https://HOST:PORT) of the replica to promote.", Required = true };
        var command = new Command("promote", "Make a replica the primary of a new generation; the others follow it. Static roles only (akkarepl.election.enabled = off); with elections on, use switchover.");
        command.Options.Add(node);
        var token = AdminTokenOption.Create();
        command.Options.Add(token);
        var tls = NodeHttp.Options.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var (address, nodes) = tls.Get(parse, parse.GetValue(node)!);
                using var admin = new AdminClient(parse.GetValue(token), nodes);
                await admin.PostAsync(address, "/admin/promote", ct).ConfigureAwait(false);
                var status = await admin.StatusAsync(address, ct).ConfigureAwait(false);
                Console.Out.WriteLine($"{status.NodeId} is now the primary of generation {status.Generation}.");
                foreach (var member in status.Members.Where(m => m.Id != status.NodeId))
                {
                    try
                    {
                        await admin.PostAsync(NodeHttp.HostPort(member.Host, member.HttpPort), $"/admin/follow?primary={status.NodeId}&generation={status.Generation}", ct).ConfigureAwait(false);
                        Console.Out.WriteLine($"{member.Id} follows {status.NodeId}.");
                    }
                    catch (AkkaReplException ex)
                    {
                        Console.Out.WriteLine($"{member.Id} was not told ({ex.Message}); it will learn of generation {status.Generation} when it is back.");
                    }
                }
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
