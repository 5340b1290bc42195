using System.CommandLine;
using System.Globalization;
using AkkaRepl.Core.Errors;
using AkkaRepl.Server.Backup;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// <c>akkarepl restore --from DIR [--archive DIR] (--to-lsn N | --to-time T) --data-dir TARGET</c>: builds a node's
/// data directory from a backup plus archived WAL, up to the target (point-in-time recovery). All or nothing.
/// </summary>
internal static class RestoreCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "The backup directory (made by akkarepl backup).", Required = true };
        var archive = new Option<string?>("--archive") { Description = "WAL archive directory (akkarepl.replication.archive-dir) with the log after the backup." };
        var toLsn = new Option<ulong?>("--to-lsn") { Description = "Restore the state after the record ending at this LSN." };
        var toTime = new Option<string?>("--to-time") { Description = "Restore the state after the last record committed at or before this time (ISO 8601; UTC unless an offset is given)." };
        var dataDir = new Option<string>("--data-dir") { Description = "Data directory to create for the restored node (must not exist, or be empty).", Required = true };
        var clusterId = new Option<string?>("--cluster-id") { Description = "Cluster id for the restored node (default: the source's id + \"-restored\")." };
        var readOnly = new Option<bool>("--read-only") { Description = "Start the restored node as a replica that follows nobody: it serves reads and refuses writes (for inspection)." };
        var command = new Command("restore", "Build a data directory from a backup plus archived WAL, up to an LSN or a time (point-in-time recovery).");
        foreach (var option in new Option[] { from, archive, toLsn, toTime, dataDir, clusterId, readOnly }) command.Options.Add(option);
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var lsn = parse.GetValue(toLsn);
                var timeText = parse.GetValue(toTime);
                if ((lsn is null) == (timeText is null)) throw new AkkaReplException("give exactly one target: --to-lsn N or --to-time T");
                DateTimeOffset? time = null;
                if (timeText is not null)
                {
                    if (!DateTimeOffset.TryParse(timeText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                        throw new AkkaReplException($"--to-time '{timeText}' is not a time: use ISO 8601, e.g. 2026-11-23T07:40:00Z");
                    time = parsed;
                }
                var backup = parse.GetValue(from)!;
                var cluster = parse.GetValue(clusterId) ?? BackupManifest.Load(backup).ClusterId + "-restored";
                var target = parse.GetValue(dataDir)!;
                var result = await new PointInTimeRestore(Console.Out.WriteLine).RunAsync(backup, parse.GetValue(archive),
                    new RestoreTarget(lsn, time), target, cluster, parse.GetValue(readOnly), ct).ConfigureAwait(false);
                Console.Out.WriteLine($"Data directory {Path.GetFullPath(target)} holds the state at LSN {result.EndLsn:N0}.");
                Console.Out.WriteLine($"Start it as a new cluster: akkarepl node --data-dir {Path.GetFullPath(target)} --set akkarepl.node.cluster-id={result.ClusterId}" +
                                      (parse.GetValue(readOnly) ? "  (read-only: it serves reads and refuses writes)" : ""));
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
