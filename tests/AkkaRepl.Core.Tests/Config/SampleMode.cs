namespace AkkaRepl.Core.Tests.Config;

/// <summary>An enum with a multi-word member, to test kebab-case enum values.</summary>
public enum SampleMode
{
    Block,
    ReadYourWrites,
}
