using System.Globalization;
using AkkaRepl.Core.Ids;
using AkkaRepl.Server.Http;
using AkkaRepl.Server.Node;
using AkkaRepl.Storage.StateMachine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AkkaRepl.Server.Backup;

/// <summary>
/// The backup routes of the admin endpoint, used by <c>akkarepl backup</c>:
/// <c>POST /admin/backup/snapshot</c> streams a state image captured now (copy-on-write: writes and reads go on)
/// with its LSN in <c>X-Akkarepl-Lsn</c> and, when known, the commit time of its last change in
/// <c>X-Akkarepl-Commit-Micros</c>; <c>GET /admin/backup/wal?from=LSN</c> streams the log's records from that LSN
/// to the flushed end at the time of the request (<c>X-Akkarepl-End</c>), encoded as in the WAL (with <c>hold=ID</c>,
/// the id from <c>X-Akkarepl-Hold</c> of the image, it also ends that image's hold on the log, see <see cref="BackupHolds"/>);
/// <c>GET /admin/backup/info</c> answers the node's identity and generation history.
/// </summary>
internal static class BackupEndpoints
{
    public const string LsnHeader = "X-Akkarepl-Lsn";
    public const string CommitMicrosHeader = "X-Akkarepl-Commit-Micros";
    public const string EndHeader = "X-Akkarepl-End";
    /// <summary>The id of the hold on the log from the image's LSN; the WAL request gives it back (<c>hold=ID</c>) to end it.</summary>
    public const string HoldHeader = "X-Akkarepl-Hold";

    public static void Map(WebApplication app, NodeHost node)
    {
        app.MapPost("/admin/backup/snapshot", async (HttpContext context) =>
        {
            // Held from before the capture (the applied LSN can only be at or below the image's): snapshots written
            // while the image streams must not let retention trim the log the WAL request will ask for.
            var hold = node.BackupHolds.Take(node.Applier.AppliedLsn);
            try
            {
                var (image, micros) = await CaptureAsync(node).ConfigureAwait(false);
                context.Response.Headers[LsnHeader] = image.Lsn.Value.ToString(CultureInfo.InvariantCulture);
                context.Response.Headers[HoldHeader] = hold;
                if (micros is { } m) context.Response.Headers[CommitMicrosHeader] = m.ToString(CultureInfo.InvariantCulture);
                context.Response.ContentType = "application/octet-stream";
                // The image writes with many small synchronous writes: buffer them, on a pool thread.
                context.Features.Get<IHttpBodyControlFeature>()!.AllowSynchronousIO = true;
                await Task.Run(() =>
                {
                    using var buffered = new BufferedStream(context.Response.Body, 1 << 16);
                    image.WriteTo(buffered);
                    buffered.Flush();
                }).ConfigureAwait(false);
                node.BackupHolds.Expire(hold);
            }
            catch
            {
                node.BackupHolds.Release(hold);
                throw;
            }
        });
        app.MapGet("/admin/backup/wal", async (HttpContext context, ulong from, string? hold, CancellationToken ct) =>
        {
            try { await StreamWalAsync(context, node, from, ct).ConfigureAwait(false); }
            finally { if (hold is not null) node.BackupHolds.Release(hold); }
        });
        app.MapGet("/admin/backup/info", () =>
        {
            var status = node.GetStatus();
            return Results.Json(new BackupSourceInfo(status.NodeId, status.ClusterId, status.Role, status.Generation,
                node.History.Entries.Select(e => new BackupHistoryEntry(e.Generation.Value, e.Lsn.Value)).ToList()), StatusJson.Options);
        });
    }

    private static async Task StreamWalAsync(HttpContext context, NodeHost node, ulong from, CancellationToken ct)
    {
        var wal = node.Wal;
        var end = wal.FlushedLsn;
        if (from < wal.FirstLsn.Value || from > end.Value)
        {
            await Results.Json(new { error = $"node {node.NodeId} holds its log from LSN {wal.FirstLsn} to {end}, not from LSN {from}" },
                StatusJson.Options, statusCode: 409).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        context.Response.Headers[EndHeader] = end.Value.ToString(CultureInfo.InvariantCulture);
        context.Response.ContentType = "application/octet-stream";
        if (from == end.Value) return;
        var records = wal.ReadAsync(new Lsn(from), Wal.WalReadLimit.Flushed, ct).GetAsyncEnumerator(ct);
        await using (records.ConfigureAwait(false))
        {
            bool more;
            try { more = await records.MoveNextAsync().ConfigureAwait(false); }
            catch (ArgumentException) when (!context.Response.HasStarted)
            {
                // Nothing sent yet: a start inside a record is the caller's mistake, not a server error.
                context.Response.Headers.Remove(EndHeader);
                await Results.Json(new { error = $"node {node.NodeId} has no record starting at LSN {from}: from must be a record boundary (the end LSN of a record, or the log's first LSN {wal.FirstLsn})" },
                    StatusJson.Options, statusCode: 400).ExecuteAsync(context).ConfigureAwait(false);
                return;
            }
            while (more)
            {
                var record = records.Current;
                await context.Response.Body.WriteAsync(WalRecordsFile.Encode(record), ct).ConfigureAwait(false);
                if (record.EndLsn >= end) break;
                more = await records.MoveNextAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>An image and the commit time of its last change: the image is retaken (a few times, briefly) until it
    /// matches the last applied record, whose time is then known.</summary>
    private static async Task<(IStateImage Image, long? Micros)> CaptureAsync(NodeHost node)
    {
        for (var attempt = 0; ; attempt++)
        {
            var image = node.Applier.State.CaptureImage();
            var micros = node.Stamp.CommitMicrosAt(image.Lsn);
            if (micros is not null || attempt >= 20) return (image, micros);
            await Task.Delay(5).ConfigureAwait(false);
        }
    }
}

/// <summary>What <c>GET /admin/backup/info</c> answers.</summary>
public sealed record BackupSourceInfo(string NodeId, string ClusterId, string Role, ulong Generation, IReadOnlyList<BackupHistoryEntry> History);
