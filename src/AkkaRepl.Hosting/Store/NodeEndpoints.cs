namespace AkkaRepl.Hosting.Store;

/// <summary>The ports this node listens on (the real ones when the configuration said 0); HTTP is 0 when switched off.</summary>
public sealed record NodeEndpoints(int RespPort, int HttpPort, int ReplicationPort);
