using System.Security.Cryptography;
using System.Text.Json;
using AkkaRepl.Core.Errors;

namespace AkkaRepl.Server.Backup;

/// <summary>
/// <c>manifest.json</c> of a backup: where it came from, the LSN range it covers, the generation history of that
/// log, and every file with its size and SHA-256. Written last, into the temporary directory, before the rename
/// that makes the backup visible.
/// </summary>
/// <param name="FormatVersion">1; readers refuse other versions.</param>
/// <param name="SnapshotLsn">The state image's LSN: the first position the backup can be restored to.</param>
/// <param name="EndLsn">End of the WAL records in the backup: the last position it can be restored to alone.</param>
/// <param name="SnapshotCommitTime">Commit time of the last change in the image, when the node knew it (it applied a record since it started).</param>
/// <param name="Generation">The source node's generation when the backup finished.</param>
/// <param name="History">The source's generation history: which generation started at which LSN.</param>
public sealed record BackupManifest(
    int FormatVersion,
    string ClusterId,
    string SourceNode,
    string SourceRole,
    DateTimeOffset CreatedAt,
    ulong Generation,
    ulong SnapshotLsn,
    ulong EndLsn,
    DateTimeOffset? SnapshotCommitTime,
    DateTimeOffset? FirstRecordTime,
    DateTimeOffset? LastRecordTime,
    int Keys,
    IReadOnlyList<BackupHistoryEntry> History,
    IReadOnlyList<BackupFile> Files)
{
    public const int CurrentFormat = 1;
    public const string FileName = "manifest.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>Reads the manifest of the backup in <paramref name="directory"/>; a clear error when it is missing or unreadable.</summary>
    public static BackupManifest Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!Directory.Exists(directory)) throw new AkkaReplException($"backup directory '{directory}' does not exist");
        if (!File.Exists(path))
            throw new AkkaReplException($"backup '{directory}' has no {FileName}: it is not a backup, or one that never finished");
        BackupManifest? manifest;
        try { manifest = JsonSerializer.Deserialize<BackupManifest>(File.ReadAllBytes(path), Json); }
        catch (JsonException ex) { throw new AkkaReplException($"{path} is not a readable manifest: {ex.Message}"); }
        if (manifest is null || manifest.Files is null || manifest.History is null)
            throw new AkkaReplException($"{path} is not a readable manifest: fields are missing");
        if (manifest.FormatVersion != CurrentFormat)
            throw new AkkaReplException($"{path} has format version {manifest.FormatVersion}; this program reads version {CurrentFormat}");
        return manifest;
    }

    /// <summary>Size and SHA-256 (lowercase hex) of a file.</summary>
    public static BackupFile Describe(string directory, string relativePath)
    {
        using var file = File.OpenRead(Path.Combine(directory, relativePath));
        return new BackupFile(relativePath.Replace('\\', '/'), file.Length, Convert.ToHexStringLower(SHA256.HashData(file)));
    }
}

/// <summary>A generation and the LSN its first record starts at.</summary>
public sealed record BackupHistoryEntry(ulong Generation, ulong Lsn);

/// <summary>A file of a backup, its size in bytes and SHA-256 (lowercase hex).</summary>
public sealed record BackupFile(string Path, long Bytes, string Sha256);
