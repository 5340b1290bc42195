using System.CommandLine;
using AkkaRepl.Core.Errors;
using AkkaRepl.Server.Backup;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// <c>akkarepl backup --to DIR --node HOST:PORT</c> takes a consistent online backup (from a streaming replica when
/// there is one); <c>akkarepl backup verify DIR</c> checks a backup again: every file's SHA-256, the snapshot, the WAL.
/// </summary>
internal static class BackupCommand
{
    public static Command Create()
    {
        var to = new Option<string>("--to") { Description = "Directory to create the backup in (must not exist, or be empty)." };
        var node = new Option<string>("--node") { Description = "HTTP address (HOST:PORT, or https://HOST:PORT) of any member; a streaming replica is preferred as the source." };
        var command = new Command("backup", "Take a consistent online backup: a snapshot, the WAL after it, and a manifest with checksums.");
        command.Options.Add(to);
        command.Options.Add(node);
        var token = AdminTokenOption.Create();
        command.Options.Add(token);
        var tls = NodeHttp.Options.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var target = parse.GetValue(to) ?? throw new AkkaReplException("give the backup directory with --to DIR");
                var (address, nodes) = tls.Get(parse, parse.GetValue(node) ?? throw new AkkaReplException("give a node's HTTP address with --node HOST:PORT"));
                var manifest = await new BackupWriter(Console.Out.WriteLine, parse.GetValue(token), nodes).TakeAsync(address, target, ct).ConfigureAwait(false);
                Console.Out.WriteLine($"Backup of {manifest.SourceNode} written to {Path.GetFullPath(target)}: {manifest.Keys:N0} keys at LSN {manifest.SnapshotLsn:N0}, " +
                                      $"WAL to LSN {manifest.EndLsn:N0}, generation {manifest.Generation}; verified.");
                return CliErrors.Ok;
            }
            catch (Exception ex)
            {
                return CliErrors.Report(ex);
            }
        });

        var dir = new Argument<string>("DIR") { Description = "The backup directory." };
        var verify = new Command("verify", "Verify a backup again: manifest, every file's SHA-256, the snapshot and the WAL records.");
        verify.Arguments.Add(dir);
        verify.SetAction(parse =>
        {
            try
            {
                var path = parse.GetValue(dir)!;
                Console.Out.WriteLine($"Verifying {Path.GetFullPath(path)}");
                var manifest = BackupVerifier.Verify(path, Console.Out.WriteLine);
                Console.Out.WriteLine($"Backup is intact: {manifest.Keys:N0} keys at LSN {manifest.SnapshotLsn:N0}, WAL to LSN {manifest.EndLsn:N0} " +
                                      $"(taken from {manifest.SourceNode} of cluster {manifest.ClusterId} at {manifest.CreatedAt:u}).");
                return CliErrors.Ok;
            }
            catch (Exception ex)
            {
                return CliErrors.Report(ex);
            }
        });
        command.Subcommands.Add(verify);
        return command;
    }
}
