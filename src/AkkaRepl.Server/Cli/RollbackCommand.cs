using System.CommandLine;
using AkkaRepl.Replication.Replica;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Wal;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// <c>akkarepl rollback show FILE</c>: prints the records a node cut from its log when it rejoined a newer
/// primary (its divergent suffix), one per line, with the write each one was, so an operator can decide
/// what to replay by hand.
/// </summary>
internal static class RollbackCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "A rollback file from a node's data directory (rollback/*.wal)." };
        var show = new Command("show", "Print the records of a rollback file.");
        show.Arguments.Add(file);
        show.SetAction(parse =>
        {
            try
            {
                var path = parse.GetValue(file)!;
                if (!path.Exists) throw new Core.Errors.AkkaReplException($"no such file: {path.FullName}");
                var (cut, newest, records) = RollbackFile.Read(path.FullName);
                Console.Out.WriteLine($"{path.Name}: {records.Count} record(s) cut after LSN {cut}; the node had seen generation {newest} when it cut them");
                foreach (var record in records)
                    Console.Out.WriteLine(RollbackFile.Describe(record,
                        record.Kind == WalRecordKind.Command ? p => KvStore.Describe(p) : _ => "(generation start)"));
                return CliErrors.Ok;
            }
            catch (Exception ex)
            {
                return CliErrors.Report(ex);
            }
        });
        var command = new Command("rollback", "Read rollback files: the divergent records a node removed from its log.");
        command.Subcommands.Add(show);
        return command;
    }
}
