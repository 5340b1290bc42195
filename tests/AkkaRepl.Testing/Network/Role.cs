using AkkaRepl.Core.Ids;

namespace AkkaRepl.Testing.Network;

/// <summary>
/// A named participant of a multi-node spec. Declare a spec's roles once, as static instances
/// (<c>static readonly Role A = new("a");</c>), and pass those around instead of strings.
/// The name is also the node id, so it follows <see cref="NodeId"/>'s rules.
/// </summary>
public sealed record Role
{
    /// <summary>Creates a role; <paramref name="name"/> must be a valid <see cref="NodeId"/>.</summary>
    public Role(string name)
    {
        if (!NodeId.IsValid(name))
            throw new ArgumentException($"'{name}' is not a valid role name: it doubles as a node id (1-64 letters, digits, '-', '_', '.').", nameof(name));
        Name = name;
    }

    /// <summary>The role's name, used as the node id.</summary>
    public string Name { get; }

    /// <summary>The node id this role runs as.</summary>
    public NodeId NodeId => new(Name);

    /// <inheritdoc />
    public override string ToString() => Name;
}
