namespace AkkaRepl.Core.Components;

/// <summary>
/// A message that someone awaits. When handling it throws, the component fails the reply with the
/// error before its supervisor decides, so no caller waits forever on a swallowed failure.
/// </summary>
public interface IReplyable
{
    void Fail(Exception error);
}
