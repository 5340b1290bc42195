namespace AkkaRepl.Testing.Fakes;

/// <summary>Per-connection state of a <see cref="FakeRespServer"/>, for handlers that need it (WATCH, MULTI).</summary>
public sealed class FakeRespSession(int id)
{
    /// <summary>The connection's number, from 0.</summary>
    public int Id { get; } = id;

    /// <summary>Free-form state a handler keeps for this connection.</summary>
    public Dictionary<string, object?> Items { get; } = new();
}
