namespace AkkaRepl.Client.Writes;

/// <summary>The identity the client gives each write, so an unknown outcome can be reported and traced.</summary>
public readonly record struct WriteId(Guid Value)
{
    public static WriteId New() => new(Guid.NewGuid());
    public override string ToString() => Value.ToString("N")[..12];
}
