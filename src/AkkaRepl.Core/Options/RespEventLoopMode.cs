namespace AkkaRepl.Core.Options;

/// <summary>Who serves a node's plain-TCP RESP clients (<c>akkarepl.resp.event-loop</c>).</summary>
public enum RespEventLoopMode
{
    /// <summary>The node's own event loop where it runs (Linux on x86-64), .NET's socket engine elsewhere.</summary>
    Auto,
    /// <summary>The node's own event loop; a node on another platform refuses to start.</summary>
    On,
    /// <summary>.NET's socket engine.</summary>
    Off,
}
