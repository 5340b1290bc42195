namespace AkkaRepl.Core.Components;

/// <summary>Mailbox sizes of one component. Full means the sender waits (backpressure), never a drop.</summary>
public sealed record ComponentOptions(int MailboxCapacity = 4096, int ControlCapacity = 256)
{
    public static readonly ComponentOptions Default = new();
}
