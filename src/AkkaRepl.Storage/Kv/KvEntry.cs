namespace AkkaRepl.Storage.Kv;

/// <summary>A stored value and its version (the end LSN of the record that last changed it). The value array is
/// never changed in place, so snapshot images may share it.</summary>
internal readonly record struct KvEntry(byte[] Value, ulong Version);
