using AkkaRepl.Testing.Nodes;

namespace AkkaRepl.Testing.Tests.Nodes;

internal static class Shell
{
    public const string ReadyThenSleep = "echo READY node=a resp=1 http=2 repl=3; exec sleep 30";

    public static NodeProcessStartInfo Script(string script, string name = "a") => new()
    {
        Name = name,
        FileName = "/bin/sh",
        Arguments = ["-c", script],
        ReadyTimeout = TimeSpan.FromSeconds(10),
    };
}
