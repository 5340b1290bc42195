namespace AkkaRepl.Core.Options;

/// <summary>The HTTP admin endpoint. HOCON path <c>akkarepl.http</c>.</summary>
public sealed record HttpOptions
{
    /// <summary>Serve /status, /health and the rest; false switches the admin port off.</summary>
    public bool Enabled { get; init; } = true;
}
