using AkkaRepl.Core.Options;

namespace AkkaRepl.Core.Tests.Config;

/// <summary>A record used as a list element and as a nested record.</summary>
public sealed record SampleMember
{
    public string NodeId { get; init; } = "";

    [OptionRange(0, 65535)]
    public int Port { get; init; }
}
