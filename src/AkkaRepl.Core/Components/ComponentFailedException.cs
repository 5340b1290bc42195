using AkkaRepl.Core.Errors;

namespace AkkaRepl.Core.Components;

/// <summary>A component stopped because of a failure its supervision strategy escalated.</summary>
public sealed class ComponentFailedException : AkkaReplException
{
    public string Component { get; }

    public ComponentFailedException(string component, Exception inner)
        : base($"component '{component}' failed and stopped: {inner.Message}", inner) => Component = component;
}
