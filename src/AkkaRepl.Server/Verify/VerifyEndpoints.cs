using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Ids;
using AkkaRepl.Server.Http;
using AkkaRepl.Server.Node;
using AkkaRepl.Storage.Digest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AkkaRepl.Server.Verify;

/// <summary>
/// The verification routes of the admin endpoint:
/// <c>POST /admin/verify</c> (run one across the members, answer the report),
/// <c>POST /admin/digest/mark</c> (primary: write a digest marker, answer its LSN),
/// <c>GET /admin/digest/{lsn}</c> (this node's digest there, waiting for the applier to reach it),
/// <c>GET /admin/digest/{lsn}/ranges?prefix=H</c> and <c>GET /admin/digest/{lsn}/keys?prefix=H</c> (narrowing down).
/// Errors answer <c>{"error": "..."}</c> with 409 (cannot now) or 400 (bad input).
/// </summary>
internal static class VerifyEndpoints
{
    public static void Map(WebApplication app, NodeHost node)
    {
        app.MapPost("/admin/verify", async (CancellationToken ct) =>
            await Answer(async () => await node.Verification.RunAsync(ct).ConfigureAwait(false)).ConfigureAwait(false));
        app.MapPost("/admin/digest/mark", async (CancellationToken ct) => await Answer(async () =>
        {
            var (receipt, _) = await node.Writer.WriteAsync(DigestRecorder.MarkerPayload, Replication.Primary.Durability.Local, ct).ConfigureAwait(false);
            return new DigestMark(receipt.EndLsn.Value);
        }).ConfigureAwait(false));
        app.MapGet("/admin/digest/{lsn}", async (ulong lsn, long? timeoutMs, CancellationToken ct) => await Answer(async () =>
        {
            var timeout = timeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : TimeSpan.FromSeconds(30);
            var digest = await node.Digests.GetAsync(new Lsn(lsn), timeout, ct).ConfigureAwait(false);
            return new NodeDigest(node.NodeId.Value, digest.Lsn.Value, digest.KeyCount, digest.Root);
        }).ConfigureAwait(false));
        app.MapGet("/admin/digest/{lsn}/ranges", async (ulong lsn, string? prefix) =>
            await Answer(() => Task.FromResult<object>(Kept(node, lsn).Children(prefix ?? ""))).ConfigureAwait(false));
        app.MapGet("/admin/digest/{lsn}/keys", async (ulong lsn, string? prefix) =>
            await Answer(() => Task.FromResult<object>(Kept(node, lsn).Keys(prefix ?? "")
                .Select(k => new DigestKey(KeyText.Format(k.Key), Convert.ToBase64String(k.Key), k.EntryHash)).ToArray())).ConfigureAwait(false));
    }

    private static StateDigest Kept(NodeHost node, ulong lsn) =>
        node.Digests.Find(new Lsn(lsn)) ?? throw new AkkaReplException($"node {node.NodeId} keeps no digest at LSN {lsn}");

    private static async Task<IResult> Answer<T>(Func<Task<T>> run)
    {
        try { return Results.Json(await run().ConfigureAwait(false), StatusJson.Options); }
        catch (ArgumentException ex) { return Results.Json(new { error = ex.Message }, StatusJson.Options, statusCode: 400); }
        catch (AkkaReplException ex) { return Results.Json(new { error = ex.Message }, StatusJson.Options, statusCode: 409); }
    }
}
