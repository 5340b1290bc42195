using System.CommandLine;
using AkkaRepl.Server.Cli;

// akkarepl: one program for running a node, a local cluster, and operating them.
var root = new RootCommand("AkkaRepl: a primary/replica replication runtime with a Redis-protocol key-value store.");
root.Subcommands.Add(NodeCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(ClusterCommand.Create());
root.Subcommands.Add(StatusCommand.Create());
root.Subcommands.Add(PromoteCommand.Create());
root.Subcommands.Add(SwitchoverCommand.Create());
root.Subcommands.Add(RebuildCommand.Create());
root.Subcommands.Add(RollbackCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(VerifyCommand.Create());
root.Subcommands.Add(BackupCommand.Create());
root.Subcommands.Add(RestoreCommand.Create());
root.Subcommands.Add(PasswdCommand.Create());
// Signals are handled by each verb (a node flushes and leaves cleanly), not by the parser's default 2 s kill.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
