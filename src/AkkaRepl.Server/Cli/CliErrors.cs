using AkkaRepl.Core.Errors;

namespace AkkaRepl.Server.Cli;

/// <summary>Turns errors into one clear message on stderr and an exit code; a stack trace only for real bugs.</summary>
internal static class CliErrors
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadConfig = 2;

    public static int Report(Exception error)
    {
        switch (error)
        {
            case ConfigException config:
                Console.Error.WriteLine($"akkarepl: configuration error: {config.Message}");
                Console.Error.WriteLine("akkarepl: nothing was started.");
                return BadConfig;
            case AkkaReplException known:
                Console.Error.WriteLine($"akkarepl: {known.Message}");
                return Failed;
            // The environment's doing (a full disk, a path it may not write, a dropped link), not a bug: the message, no stack trace.
            case IOException or UnauthorizedAccessException:
                Console.Error.WriteLine($"akkarepl: I/O error: {error.Message}");
                return Failed;
            default:
                Console.Error.WriteLine($"akkarepl: unexpected failure (a bug; please report it): {error}");
                return Failed;
        }
    }
}
