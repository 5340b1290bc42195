using System.Text.Json;
using AkkaRepl.Core.Errors;
using AkkaRepl.Core.Io;

namespace AkkaRepl.Replication.Cluster.Election;

/// <summary>The vote this node cast: in which generation, for whom (null: none yet).</summary>
public sealed record SavedVote(ulong Generation, string? VotedFor);

/// <summary>
/// Keeps the vote in <c>vote.json</c> in the data directory, replaced atomically (temp file, fsync, rename, fsync of
/// the directory) before the reply that grants it is sent: a voter that crashes and restarts cannot vote twice in one
/// generation.
/// </summary>
public sealed class VoteStore(string dataDir)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _path = Path.Combine(dataDir, "vote.json");

    public SavedVote Load()
    {
        if (!File.Exists(_path)) return new SavedVote(0, null);
        try { return JsonSerializer.Deserialize<SavedVote>(File.ReadAllText(_path), Json) ?? throw new StorageCorruptException($"vote file {_path} is empty"); }
        catch (JsonException ex) { throw new StorageCorruptException($"vote file {_path} cannot be read: {ex.Message}"); }
    }

    public void Save(SavedVote vote)
    {
        AtomicFile.Replace(_path, file => JsonSerializer.Serialize(file, vote, Json));
    }
}
