using AkkaRepl.Core.Io;
using System.Text.Json;
using System.Text.Json.Serialization;
using AkkaRepl.Core.Errors;

namespace AkkaRepl.Replication.Cluster;

/// <summary>
/// Keeps <see cref="NodeState"/> in <c>node-state.json</c> in the data directory, replaced atomically (temp file,
/// fsync, rename), so a crash leaves either the old or the new state, never half of one.
/// </summary>
public sealed class NodeStateStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly string _path;
    private readonly object _gate = new();

    public NodeStateStore(string dataDir) => _path = Path.Combine(dataDir, "node-state.json");

    /// <summary>The saved state, or null when this data directory has none yet.</summary>
    public NodeState? Load()
    {
        if (!File.Exists(_path)) return null;
        try
        {
            return JsonSerializer.Deserialize<NodeState>(File.ReadAllText(_path), Json)
                ?? throw new StorageCorruptException($"node state file {_path} is empty");
        }
        catch (JsonException ex)
        {
            throw new StorageCorruptException($"node state file {_path} cannot be read: {ex.Message}");
        }
    }

    public void Save(NodeState state)
    {
        lock (_gate)
        {
            AtomicFile.Replace(_path, file => JsonSerializer.Serialize(file, state, Json));
        }
    }
}
