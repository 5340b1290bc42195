using System.Globalization;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Io;
using AkkaRepl.Core.Options;
using AkkaRepl.Server.Cli;
using AkkaRepl.Server.Http;
using AkkaRepl.Server.Node;
using AkkaRepl.Storage.Kv;
using AkkaRepl.Storage.Snapshots;
using Microsoft.Extensions.Logging.Abstractions;

namespace AkkaRepl.Server.Backup;

/// <summary>
/// Takes an online backup from a node: a state image captured at one LSN (copy-on-write, so writes and reads go
/// on), then the WAL records from that LSN to the node's flushed end, the generation history, and a manifest with
/// every file's SHA-256. It prefers a streaming replica of the cluster as the source, so the primary is not loaded.
/// <para>Nothing half-written is ever visible: everything goes to a hidden temporary directory beside the target,
/// which is verified in full, synced, and only then renamed to the target. A failure deletes the temporary directory.</para>
/// </summary>
internal sealed class BackupWriter(Action<string> progress, string? token = null, NodeHttp? nodes = null)
{
    private readonly NodeHttp _nodes = nodes ?? NodeHttp.Plain;

    public async Task<BackupManifest> TakeAsync(string node, string to, CancellationToken ct)
    {
        // Without its trailing separator ("/b/x/" as tab completion gives it), the target would be its own parent: the
        // hidden partial directory would be made inside it and the final rename would fail.
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(to));
        if (Path.GetDirectoryName(target) is null) throw new AkkaReplException($"'{target}' is a root directory; give a directory inside it for the backup");
        if (File.Exists(target)) throw new AkkaReplException($"'{target}' is a file; give a directory for the backup");
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new AkkaReplException($"backup directory '{target}' already exists and is not empty: give a new directory");
        var parent = Path.GetDirectoryName(target)!;
        Core.Io.Directories.Create(parent, "for the backup");

        var (sourceId, source, role) = await ChooseSourceAsync(node, ct).ConfigureAwait(false);
        progress($"Backing up from {sourceId} ({role}) at {source} into {target}");
        var temp = Path.Combine(parent, $".{Path.GetFileName(target)}.partial-{Guid.NewGuid():N}"[..^24]);
        try
        {
            Directory.CreateDirectory(temp);
            using var http = _nodes.CreateClient(Timeout.InfiniteTimeSpan);
            Cli.AdminTokenOption.Authorize(http, token);

            // 1. The state image, written in the snapshot file format (checksums included).
            ulong snapshotLsn;
            long? commitMicros;
            string? hold; // the source's hold on its log from the image's LSN, ended by the WAL request
            using (var response = await SendAsync(http, HttpMethod.Post, _nodes.Url(source, "/admin/backup/snapshot"), ct).ConfigureAwait(false))
            {
                snapshotLsn = ulong.Parse(Header(response, BackupEndpoints.LsnHeader)!, CultureInfo.InvariantCulture);
                commitMicros = Header(response, BackupEndpoints.CommitMicrosHeader) is { } m ? long.Parse(m, CultureInfo.InvariantCulture) : null;
                hold = Header(response, BackupEndpoints.HoldHeader);
                await using var body = new ProgressStream(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false),
                    bytes => progress($"  snapshot at LSN {snapshotLsn:N0}: {Mib(bytes)} received"));
                var store = new SnapshotStore(Path.Combine(temp, BackupVerifier.SnapshotDir), new SnapshotOptions(), NullLogger<SnapshotStore>.Instance);
                await Task.Run(() => store.Write(new StreamedImage(new Core.Ids.Lsn(snapshotLsn), body)), ct).ConfigureAwait(false);
            }

            // 2. The log from the image's LSN to the source's flushed end.
            ulong endLsn;
            using (var response = await SendAsync(http, HttpMethod.Get, _nodes.Url(source, $"/admin/backup/wal?from={snapshotLsn}" + (hold is null ? "" : $"&hold={Uri.EscapeDataString(hold)}")), ct).ConfigureAwait(false))
            {
                endLsn = ulong.Parse(Header(response, BackupEndpoints.EndHeader)!, CultureInfo.InvariantCulture);
                var walPath = Path.Combine(temp, BackupVerifier.WalFileName(snapshotLsn, endLsn));
                Directory.CreateDirectory(Path.GetDirectoryName(walPath)!);
                await using var body = new ProgressStream(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false),
                    bytes => progress($"  WAL from LSN {snapshotLsn:N0} to {endLsn:N0}: {Mib(bytes)} of {Mib((long)(endLsn - snapshotLsn))} received"));
                await using var file = new FileStream(walPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
                await body.CopyToAsync(file, 1 << 20, ct).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            // 3. Where it came from, the history of its log, and every file's checksum.
            BackupSourceInfo info;
            using (var response = await SendAsync(http, HttpMethod.Get, _nodes.Url(source, "/admin/backup/info"), ct).ConfigureAwait(false))
                info = (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<BackupSourceInfo>(response.Content, StatusJson.Options, ct).ConfigureAwait(false))!;
            var keys = new KvStore();
            new SnapshotStore(Path.Combine(temp, BackupVerifier.SnapshotDir), new SnapshotOptions(), NullLogger<SnapshotStore>.Instance).LoadLatest(keys);
            var records = WalRecordsFile.Read(Path.Combine(temp, BackupVerifier.WalFileName(snapshotLsn, endLsn)), new(snapshotLsn), new(endLsn))
                .Select(r => r.CommitTimestampMicros).ToList();
            var files = Directory.EnumerateFiles(temp, "*", SearchOption.AllDirectories)
                .Select(f => BackupManifest.Describe(temp, Path.GetRelativePath(temp, f))).OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
            var manifest = new BackupManifest(BackupManifest.CurrentFormat, info.ClusterId, info.NodeId, info.Role, DateTimeOffset.UtcNow,
                info.Generation, snapshotLsn, endLsn, Time(commitMicros), records.Count > 0 ? Time(records[0]) : null,
                records.Count > 0 ? Time(records[^1]) : null, keys.Count, info.History, files);
            await using (var file = new FileStream(Path.Combine(temp, BackupManifest.FileName), FileMode.CreateNew, FileAccess.Write))
            {
                await file.WriteAsync(manifest.ToJson(), ct).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            // 4. Verified before it is made visible.
            progress("Verifying the backup...");
            BackupVerifier.Verify(temp, progress);
            foreach (var dir in new[] { BackupVerifier.SnapshotDir, BackupVerifier.WalDir, "" }) DirectorySync.Sync(Path.Combine(temp, dir));
            if (Directory.Exists(target)) Directory.Delete(target); // empty, checked above
            Directory.Move(temp, target);
            DirectorySync.Sync(parent);
            return manifest;
        }
        catch
        {
            try { if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true); }
            catch (IOException) { /* best effort; the name says it is partial */ }
            throw;
        }
    }

    /// <summary>A streaming replica when there is one (the primary is not loaded), else the node given.</summary>
    private async Task<(string Id, string Address, string Role)> ChooseSourceAsync(string node, CancellationToken ct)
    {
        using var admin = new AdminClient(token, _nodes);
        var cluster = await admin.ClusterAsync(node, ct).ConfigureAwait(false);
        foreach (var (member, status, _) in cluster)
            if (status is { Role: "replica", Upstream.State: "streaming" })
                return (status.NodeId, Address(node, member), "a streaming replica, preferred over the primary");
        var given = await admin.StatusAsync(node, ct).ConfigureAwait(false);
        progress($"No streaming replica answered: the backup is taken from {given.NodeId} ({given.Role}).");
        return (given.NodeId, node, given.Role);
    }

    private static string Address(string given, MemberAddress member) =>
        member.HttpPort == 0 ? given : Cli.NodeHttp.HostPort(member.Host, member.HttpPort);

    private async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string url, CancellationToken ct)
    {
        HttpResponseMessage response;
        try { response = await http.SendAsync(new HttpRequestMessage(method, url), HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false); }
        catch (HttpRequestException ex) { throw _nodes.Explain(new Uri(url).Authority, ex); }
        if (response.IsSuccessStatusCode) return response;
        if (response.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
        {
            response.Dispose();
            throw new AkkaReplException($"{new Uri(url).Authority} refused {new Uri(url).AbsolutePath}: it needs the admin token ({Cli.AdminTokenOption.Hint})");
        }
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        response.Dispose();
        throw new AkkaReplException($"{new Uri(url).Authority} refused {new Uri(url).AbsolutePath}: {body.Trim()}");
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static DateTimeOffset? Time(long? micros) => micros is { } m ? DateTimeOffset.UnixEpoch.AddTicks(m * 10) : null;

    private static string Mib(long bytes) => $"{bytes / (1024.0 * 1024):F1} MiB";
}
