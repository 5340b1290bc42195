namespace AkkaRepl.Server.Reads;

/// <summary>The consistency levels a read can ask for (contract G6).</summary>
public enum ReadConsistencyKind
{
    /// <summary>Whatever this node has applied.</summary>
    Eventual,
    /// <summary>Only on the primary, after a majority confirmed it is still primary, and never showing a value not yet committed at quorum.</summary>
    Linearizable,
    /// <summary>Any node that has applied the token's LSN.</summary>
    ReadYourWrites,
    /// <summary>Any node whose state is at most the bound behind the primary, in time.</summary>
    BoundedStaleness,
}
