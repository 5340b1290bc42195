using System.CommandLine;
using AkkaRepl.Server.Cli;
using AkkaRepl.Server.Resp;

// A node runs socket continuations inline on the epoll thread instead of hopping to the thread pool: a GET then costs
// ~40 % less CPU and ~8x fewer context switches (docs/benchmarks.md, "RESP path"). Safe because nothing on the socket
// paths waits (no sync waits or file IO on the RESP loops; AUTH's PBKDF2 is moved off it). Read once, when the
// socket engine starts, so it is set before any socket exists. Opt out: DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0.
// Only the verbs that run a node: the load generators (bench) keep the default, so they load the node as before.
if (args is ["node" or "cluster" or "demo", ..] &&
    Environment.GetEnvironmentVariable(SocketCompletions.Variable) is null)
    Environment.SetEnvironmentVariable(SocketCompletions.Variable, "1");

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
