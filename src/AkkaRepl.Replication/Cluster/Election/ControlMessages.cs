namespace AkkaRepl.Replication.Cluster.Election;

/// <summary>
/// A message on the control lane. Every one names its sender and carries the sender's highest generation, so a
/// receiver learns of newer generations from any message and drops stale ones first thing.
/// </summary>
public abstract record ControlMessage(string From, ulong Generation);

/// <summary>The first message on every control connection: which protocol and which cluster the sender speaks for. The
/// accepting side closes a connection whose hello names another cluster or protocol version, so a node of another
/// cluster reached by a wrong member address (a reused port, a copied config) can neither vote nor fence anything
/// here, with or without a cluster secret. Never handed to the election.</summary>
public sealed record ControlHello(string From, ushort ProtocolVersion, string ClusterId) : ControlMessage(From, 0);

/// <summary>Every node to every peer, each heartbeat interval: I am alive, my role and where my log ends. From the
/// primary it also asks for a <see cref="HeartbeatAck"/>, which renews its lease. <c>SentAt</c> is the sender's own
/// clock, only ever compared with itself.</summary>
public sealed record Heartbeat(string From, ulong Generation, bool IsPrimary, LogPosition Log, long SentAtTicks) : ControlMessage(From, Generation);

/// <summary>Replica to the primary of <c>Generation</c>, answer to its heartbeat: echoes its send time; the primary's
/// lease runs from the send time a majority echoed. The replica promises to vote for nobody else for an election timeout.</summary>
public sealed record HeartbeatAck(string From, ulong Generation, long EchoTicks) : ControlMessage(From, Generation);

/// <summary>Would-be candidate to voters: would you vote for me in generation <c>Generation + 1</c>? Changes no
/// state on the voter. Reply: <see cref="PreVoteReply"/>. <c>Attempt</c> counts this node's failed attempts in a row.</summary>
public sealed record PreVoteRequest(string From, ulong Generation, LogPosition Log, int Priority, int Attempt) : ControlMessage(From, Generation);

/// <summary>Voter to would-be candidate: whether it would grant a vote for <c>ForGeneration</c>.</summary>
public sealed record PreVoteReply(string From, ulong Generation, ulong ForGeneration, bool Granted) : ControlMessage(From, Generation);

/// <summary>Candidate to voters: vote for me in <c>Generation</c>. Reply: <see cref="VoteReply"/>. <c>Transfer</c>: the
/// primary handed over to this candidate (switchover) and has already stopped acknowledging writes, so voters may
/// grant though they heard it a moment ago.</summary>
public sealed record VoteRequest(string From, ulong Generation, LogPosition Log, long SentAtTicks, bool Transfer = false) : ControlMessage(From, Generation);

/// <summary>Primary to the switchover target, after it stopped acknowledging writes and the target caught up: start
/// an election now (no pre-vote), as a transfer. No reply; the target's heartbeats as the new primary follow.</summary>
public sealed record TimeoutNow(string From, ulong Generation) : ControlMessage(From, Generation);

/// <summary>Voter to candidate: the vote in <c>Generation</c>, granted or not; echoes the request's send time (a grant
/// starts the new primary's lease as a heartbeat acknowledgement does).</summary>
public sealed record VoteReply(string From, ulong Generation, bool Granted, long EchoTicks) : ControlMessage(From, Generation);
