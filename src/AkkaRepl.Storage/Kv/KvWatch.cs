using AkkaRepl.Core.Ids;

namespace AkkaRepl.Storage.Kv;

/// <summary>A key watched by WATCH and its version (<see cref="KvStore.GetVersion"/>) when it was watched; EXEC
/// aborts when any watched key's version differs at apply time.</summary>
public readonly record struct KvWatch(ReadOnlyMemory<byte> Key, Lsn Version);
