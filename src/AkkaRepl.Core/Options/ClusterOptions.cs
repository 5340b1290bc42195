namespace AkkaRepl.Core.Options;

/// <summary>The replication group. HOCON path <c>akkarepl.cluster</c>.</summary>
public sealed record ClusterOptions : IValidatableOptions
{
    /// <summary>All members, this node included. Empty: a single node that replicates to nobody.</summary>
    public IReadOnlyList<MemberOptions> Members { get; init; } = [];
    /// <summary>The member that is primary when the group starts for the first time; null means the first member.
    /// Once a data directory has a primary on record, that record wins over this setting.</summary>
    public string? InitialPrimary { get; init; }

    /// <inheritdoc />
    public void Validate(OptionsValidationContext context)
    {
        var members = context.PathOf(nameof(Members));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Members.Count; i++)
        {
            var id = Members[i].Id;
            if (!Ids.NodeId.IsValid(id))
                context.Add($"{members}[{i}].id = '{id}' is not a valid node id: use 1-64 characters of letters, digits, '-', '_' or '.'");
            else if (!seen.Add(id))
                context.Add($"{members}[{i}].id = '{id}' is listed twice: member ids are unique");
        }
        if (InitialPrimary is { } primary && Members.Count > 0 && !seen.Contains(primary))
            context.Add($"{context.PathOf(nameof(InitialPrimary))} = '{primary}' is not among {members} ({string.Join(", ", Members.Select(m => m.Id))})");
    }
}
