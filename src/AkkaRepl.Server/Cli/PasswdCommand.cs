using System.CommandLine;
using AkkaRepl.Core.Errors;
using AkkaRepl.Server.Security;

namespace AkkaRepl.Server.Cli;

/// <summary>
/// <c>akkarepl passwd</c>: reads a password from standard input (first line) and prints its salted hash for
/// <c>akkarepl.security.users[].password-hash</c>. Reading stdin keeps the password out of the shell history and
/// the process list.
/// </summary>
internal static class PasswdCommand
{
    public static Command Create()
    {
        var iterations = new Option<int>("--iterations")
        {
            Description = "PBKDF2 iterations (at least 1000); more makes each guess and each AUTH slower.",
            DefaultValueFactory = _ => PasswordHash.DefaultIterations,
        };
        var command = new Command("passwd", "Print the password hash of a RESP user for the config (the password is read from stdin).");
        command.Options.Add(iterations);
        command.SetAction(parse =>
        {
            try
            {
                var rounds = parse.GetValue(iterations);
                if (rounds < 1000) throw new AkkaReplException($"--iterations {rounds} is too few: use at least 1000");
                if (!Console.IsInputRedirected) Console.Error.Write("Password: ");
                var password = Console.In.ReadLine();
                if (string.IsNullOrEmpty(password)) throw new AkkaReplException("no password was given on standard input");
                Console.Out.WriteLine(PasswordHash.Create(password, rounds));
                return CliErrors.Ok;
            }
            catch (Exception ex)
            {
                return CliErrors.Report(ex);
            }
        });
        return command;
    }
}
