using System.Net;

namespace AkkaRepl.Testing.Network;

/// <summary>
/// How <see cref="From"/> reaches <see cref="To"/>: the local proxy endpoint it must dial instead of the peer's real
/// port. A config generator writes these into each node's peer list so every link goes through a <see cref="FaultProxy"/>.
/// </summary>
public sealed record RemotePort(Role From, Role To, IPEndPoint Endpoint)
{
    /// <summary>The proxy's port on 127.0.0.1.</summary>
    public int Port => Endpoint.Port;

    /// <summary>"127.0.0.1:port", the usual form in config files.</summary>
    public string HostAndPort => $"{Endpoint.Address}:{Endpoint.Port}";
}
